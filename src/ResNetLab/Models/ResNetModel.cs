using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ResNetLab.Models;

/// <summary>What every network of the zoo is: a Module plus the facts the paper uses to name it.</summary>
public abstract class ResNetModel : Module<Tensor, Tensor>
{
    protected ResNetModel(string name, ModelFamily family, int depth, BlockKind block, ShortcutOption? shortcut,
                          int numClasses, int inputSize) : base(name)
    {
        Name = name;
        Family = family;
        Depth = depth;
        Block = block;
        Shortcut = shortcut;
        NumClasses = numClasses;
        InputSize = inputSize;
    }

    public string Name { get; }
    public ModelFamily Family { get; }

    /// <summary>Weighted layers on the main path (convs + fc), as the paper counts depth.</summary>
    public int Depth { get; }
    public BlockKind Block { get; }

    /// <summary>Null for plain networks.</summary>
    public ShortcutOption? Shortcut { get; }
    public bool IsResidual => Shortcut is not null;
    public int NumClasses { get; }

    /// <summary>Side of the square input the paper uses (32 for CIFAR, 224 for ImageNet).</summary>
    public int InputSize { get; }

    /// <summary>
    /// Run the convolutions on channels-last (NHWC) activations: the input is re-laid once at the stem and every conv,
    /// BN and ReLU after it keeps that layout. Null (the default) means channels-last on CPU, where oneDNN's NHWC
    /// kernels make a ResNet-20 training step ~10 % faster (`resnet bench --layout nchw|nhwc`), and NCHW elsewhere.
    /// The numbers agree with NCHW to float32 rounding (each op within a few 1e-6 of float64, held by NumericsTests);
    /// only the summation order differs, so a run is reproducible for a fixed layout and thread count, not bit-identical
    /// across them. Not part of the weights: a layout is a speed choice.
    /// </summary>
    public bool? ChannelsLast { get; set; }

    /// <summary>The layout the forward pass uses for an input on <paramref name="device"/>.</summary>
    public bool UsesChannelsLast(DeviceType device) => ChannelsLast ?? device == DeviceType.CPU;

    /// <summary>The input in the layout the forward pass uses (no copy when it already is).</summary>
    protected Tensor ToLayout(Tensor x)
    {
        if (x.dim() != 4 || !UsesChannelsLast(x.device_type)) return x.alias();
        using var nhwc = x.permute(0, 2, 3, 1);
        using var dense = nhwc.contiguous();
        return dense.permute(0, 3, 1, 2);
    }

    /// <summary>`linear` in the CIFAR reference, `fc` in torchvision.</summary>
    public abstract string ClassifierName { get; }

    /// <summary>`shortcut` in the CIFAR reference, `downsample` in torchvision.</summary>
    public abstract string ShortcutName { get; }

    /// <summary>The residual blocks with their qualified names (layer1.0, …), in forward order.</summary>
    public abstract IReadOnlyList<(string Name, ResidualBlock Block)> Blocks { get; }

    /// <summary>(name of the 3×3 conv, BN after it) for every 3×3 layer in forward order, stem included.</summary>
    public abstract IReadOnlyList<(string Conv, BatchNorm2d Norm)> ThreeByThreeOutputs { get; }

    /// <summary>
    /// Start collecting layer responses (Fig. 7): each 3×3 layer's output after BN, before ReLU/addition, on every
    /// forward until the returned object is disposed. Hooks on the model itself; nothing is copied but the responses.
    /// </summary>
    public LayerTaps Tap() => new(this);

    /// <summary>One forward pass in eval mode under no_grad, returning the 3×3 layer responses in layer order.</summary>
    public IReadOnlyList<LayerResponse> LayerResponses(Tensor input)
    {
        var wasTraining = training;
        eval();
        try
        {
            using var _ = no_grad();
            using var taps = Tap();
            using (call(input)) { }
            return taps.TakeResponses();
        }
        finally
        {
            train(wasTraining);
        }
    }

    /// <summary>Kaiming-normal convs (fan_out, ReLU gain, as torchvision; paper [12]), BN γ=1 β=0.</summary>
    protected void InitializeWeights(bool zeroInitResidual)
    {
        using var _ = no_grad();
        foreach (var m in modules())
        {
            switch (m)
            {
                case Conv2d conv:
                    init.kaiming_normal_(conv.weight!, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
                    break;
                case BatchNorm2d bn:
                    init.ones_(bn.weight!);
                    init.zeros_(bn.bias!);
                    break;
            }
        }
        // Zero-init only makes a branch the identity when there is a shortcut to carry the signal.
        if (zeroInitResidual && IsResidual)
            foreach (var (_, block) in Blocks) init.zeros_(block.LastNorm.weight!);
    }

    protected static Sequential Stage(IEnumerable<ResidualBlock> blocks) =>
        Sequential(blocks.Select((b, i) => (i.ToString(), (Module<Tensor, Tensor>)b)).ToArray());

    // Names are registered explicitly in the constructors, not from fields.
    protected override void RegisterComponents() { }
}

/// <summary>One 3×3 layer's response: its name (e.g. layer2.0.conv1) and output (detached copy, N×C×H×W).</summary>
public sealed record LayerResponse(string Name, Tensor Output);

/// <summary>Forward hooks on the BNs after the 3×3 convs; responses are copied because ReLU/addition run in place.</summary>
public sealed class LayerTaps : IDisposable
{
    readonly List<LayerResponse> responses = [];
    readonly List<Action> removers = [];

    internal LayerTaps(ResNetModel model)
    {
        foreach (var (name, norm) in model.ThreeByThreeOutputs)
        {
            var handle = norm.register_forward_hook((_, _, output) =>
            {
                responses.Add(new LayerResponse(name, output.detach().clone().DetachFromDisposeScope()));
                return output;
            });
            removers.Add(handle.remove);
        }
    }

    /// <summary>Responses collected so far, in forward order (one per 3×3 layer per forward pass).</summary>
    public IReadOnlyList<LayerResponse> Responses => responses;

    /// <summary>Hands the collected tensors to the caller (who then owns and disposes them) and clears the list.</summary>
    public IReadOnlyList<LayerResponse> TakeResponses()
    {
        var taken = responses.ToArray();
        responses.Clear();
        return taken;
    }

    public void Dispose()
    {
        foreach (var remove in removers) remove();
        removers.Clear();
        foreach (var r in responses) r.Output.Dispose();
        responses.Clear();
    }
}
