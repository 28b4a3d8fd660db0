using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ResNetLab.Models;

/// <summary>
/// Every network of the paper, built from its <see cref="ModelSpec"/> as torchvision builds its ResNet: a stem, stages
/// of blocks made by one <see cref="MakeStage"/> (torchvision's <c>_make_layer</c>), global average pooling and a
/// classifier. CIFAR (§4.2): 3×3 conv (16) → stages on 32/16/8 maps. ImageNet (Table 1): 7×7/2 conv (64) → 3×3/2 max
/// pool → conv2_x…conv5_x. Stride 2 starts every stage but the first. Parameter names follow each family's PyTorch
/// reference — akamaster/pytorch_resnet_cifar10 (<c>shortcut</c>, <c>linear</c>) and torchvision (<c>downsample</c>,
/// <c>fc</c>) — so their weights load.
/// </summary>
public sealed class ResNetModel : Module<Tensor, Tensor>
{
    readonly Conv2d conv1;
    readonly BatchNorm2d? bn1;
    readonly BatchNorm2d? finalNorm;
    readonly MaxPool2d? maxpool;
    readonly Linear classifier;
    readonly List<(string, ResidualBlock)> blocks = [];
    readonly List<(string, BatchNorm2d)> taps = [];

    /// <summary>Build <paramref name="spec"/>; <see cref="ModelZoo.Create(string, ModelOptions)"/> is the usual way in.</summary>
    public ResNetModel(ModelSpec spec, ModelOptions? options = null) : base(spec.Name)
    {
        options ??= new ModelOptions();
        if (!spec.Residual && options.Shortcut is not null)
            throw new ArgumentException($"{spec.Name} is a plain network: it has no shortcuts, so no shortcut option applies");
        if (!spec.Residual && options.ZeroInitResidual)
            throw new ArgumentException($"{spec.Name} is a plain network: zero-init-residual needs residual branches");
        if (options.StrideOn3x3 && !(spec.Family == ModelFamily.ImageNet && spec.Block == BlockKind.Bottleneck))
            throw new ArgumentException($"strideOn3x3 (torchvision v1.5) applies to ImageNet bottleneck networks, not {spec.Name}");
        if (options.NumClasses is < 1) throw new ArgumentOutOfRangeException(nameof(options), options.NumClasses, "the number of classes must be positive");
        if (spec.PreActivation && options.Shortcut is not null)
            throw new ArgumentException($"{spec.Name} is a pre-activation network: its shortcut rule is fixed (projection where dimensions grow)");
        Spec = spec;
        Shortcut = spec.Residual ? options.Shortcut ?? spec.DefaultShortcut : null;
        NumClasses = options.NumClasses ?? spec.DefaultClasses;
        var cifar = spec.Family == ModelFamily.Cifar;

        conv1 = cifar ? Conv.Conv3x3(3, spec.Widths[0]) : Conv2d(3, spec.Widths[0], kernel_size: 7, stride: 2, padding: 3, bias: false);
        register_module("conv1", conv1);
        if (!spec.PreActivation)   // pre-activation: the first block's BN-ReLU follows the stem conv
        {
            bn1 = BatchNorm2d(spec.Widths[0]);
            register_module("bn1", bn1);
            if (cifar) taps.Add(("conv1", bn1));   // the CIFAR stem is a 3×3 layer too (Fig. 7 counts it)
        }
        if (!cifar) register_module("maxpool", maxpool = MaxPool2d(kernel_size: 3, stride: 2, padding: 1));

        long inChannels = spec.Widths[0];
        for (var s = 0; s < spec.BlocksPerStage.Count; s++)
        {
            register_module($"layer{s + 1}", MakeStage(s, inChannels, options.StrideOn3x3));
            inChannels = spec.Widths[s] * spec.Expansion;
        }
        if (spec.PreActivation) register_module("bn", finalNorm = BatchNorm2d(inChannels));   // BN-ReLU before pooling
        classifier = Linear(inChannels, NumClasses);
        register_module(ClassifierName, classifier);
        InitializeWeights(options.ZeroInitResidual);
        HasWideOneByOne = modules().OfType<Conv2d>().Any(Conv.IsWideOneByOne);
    }

    /// <summary>
    /// The net has a 1×1 convolution with 1,024 or more outputs or inputs (the ImageNet bottleneck nets' conv4 and conv5).
    /// On such a layer the oneDNN of TorchSharp 0.107's libtorch (v3.7.1) divides by zero while it chooses its blocking
    /// on AVX-512 CPUs with two or more threads — the process dies of SIGFPE in
    /// <c>brg_blocking_t::est_eff_1x1</c> (measured 2026-12-06: forward in channels-last, e.g. 256→1024 channels at
    /// 14×14 and 512→2048 at 7×7, fp32 and bf16, not with one thread, not at 4×4; backward in either layout). So these
    /// nets default to NCHW (<see cref="ChannelsLast"/>), where the forward pass is safe, and train such layers as matrix
    /// products (<see cref="Conv.Run"/>); the CIFAR nets (at most 256 channels) are not affected.
    /// </summary>
    public bool HasWideOneByOne { get; }

    /// <summary>Stage <paramref name="s"/>: its blocks, the first one striding (except in stage 1) and widening.</summary>
    Sequential MakeStage(int s, long inChannels, bool strideOn3x3)
    {
        var stageBlocks = new List<(string, Module<Tensor, Tensor>)>();
        for (var i = 0; i < Spec.BlocksPerStage[s]; i++)
        {
            var stride = s > 0 && i == 0 ? 2 : 1;
            ResidualBlock block = Spec.PreActivation ? new PreActBlock(inChannels, Spec.Widths[s], stride, Spec.Block)
                : Spec.Block == BlockKind.Basic
                    ? new BasicBlock(inChannels, Spec.Widths[s], stride, Shortcut, ShortcutName)
                    : new BottleneckBlock(inChannels, Spec.Widths[s], stride, Shortcut, ShortcutName, strideOn3x3);
            var name = $"layer{s + 1}.{i}";
            blocks.Add((name, block));
            taps.AddRange(block.ThreeByThreeOutputs.Select(t => ($"{name}.{t.Conv}", t.Norm)));
            stageBlocks.Add((i.ToString(System.Globalization.CultureInfo.InvariantCulture), block));
            inChannels = Spec.Widths[s] * Spec.Expansion;
        }
        return Sequential(stageBlocks.ToArray());
    }

    /// <summary>What the network is: family, block, residual or plain, blocks per stage (from the registry).</summary>
    public ModelSpec Spec { get; }
    /// <summary>Registry name, e.g. resnet20.</summary>
    public string Name => Spec.Name;
    /// <summary>CIFAR or ImageNet layout.</summary>
    public ModelFamily Family => Spec.Family;

    /// <summary>Weighted layers on the main path (convs + fc), as the paper counts depth.</summary>
    public int Depth => Spec.Depth;
    /// <summary>Basic or bottleneck blocks (Fig. 5).</summary>
    public BlockKind Block => Spec.Block;

    /// <summary>Null for plain networks.</summary>
    public ShortcutOption? Shortcut { get; }
    /// <summary>True with shortcuts, false for the plain twin (§4.1).</summary>
    public bool IsResidual => Spec.Residual;
    /// <summary>Classifier outputs (10 for CIFAR-10, 100 for CIFAR-100, 1000 for ImageNet).</summary>
    public int NumClasses { get; }

    /// <summary>Side of the square input the paper uses (32 for CIFAR, 224 for ImageNet).</summary>
    public int InputSize => Spec.InputSize;

    /// <summary>
    /// Run the convolutions on channels-last (NHWC) activations: the input is re-laid once at the stem and every conv,
    /// BN and ReLU after it keeps that layout. Null (the default) means channels-last on CPU, where oneDNN's NHWC
    /// kernels make a ResNet-20 training step ~10 % faster (`resnet bench --layout nchw|nhwc`), and NCHW elsewhere.
    /// The numbers agree with NCHW to float32 rounding (each op within a few 1e-6 of float64, held by NumericsTests);
    /// only the summation order differs, so a run is reproducible for a fixed layout and thread count, not bit-identical
    /// across them. Not part of the weights: a layout is a speed choice. Nets with <see cref="HasWideOneByOne"/> default
    /// to NCHW on every device (a oneDNN fault on AVX-512 CPUs); setting true asks for it anyway.
    /// </summary>
    public bool? ChannelsLast { get; set; }

    /// <summary>
    /// The arithmetic of the forward and backward passes. <see cref="Precision.Bf16"/> is mixed precision as autocast does
    /// it: activations, convolutions and the classifier in bfloat16 (float32 master weights; BN statistics and
    /// parameters, the loss and the optimizer in float32); logits come back as float32. The bfloat16 weights come from
    /// the <see cref="MixedPrecision"/> object a training step is given (cast once per step), else are cast per pass.
    /// Set from the run config, since it changes the numbers; not part of the weights.
    /// </summary>
    public Precision Precision { get; set; } = Precision.Fp32;

    /// <summary>The layout the forward pass uses for an input on <paramref name="device"/>.</summary>
    public bool UsesChannelsLast(DeviceType device) => ChannelsLast ?? (device == DeviceType.CPU && !HasWideOneByOne);

    /// <summary>"nhwc" (channels-last) or "nchw": the layout this model trains with on <paramref name="device"/>.</summary>
    public string LayoutName(DeviceType device) => UsesChannelsLast(device) ? "nhwc" : "nchw";

    /// <summary>The input in the layout the forward pass uses (no copy when it already is).</summary>
    Tensor ToLayout(Tensor x) => x.dim() != 4 || !UsesChannelsLast(x.device_type) ? x.alias() : ChannelsLastCopy(x);

    static Tensor ChannelsLastCopy(Tensor x)
    {
        using var nhwc = x.permute(0, 2, 3, 1);
        using var dense = nhwc.contiguous();
        return dense.permute(0, 3, 1, 2);
    }

    /// <summary>
    /// A batch for <paramref name="model"/> in the layout the library's nets train in on its device: a module the caller
    /// wrote (notebook 01's own net) gets channels-last images on a CPU as a ResNetModel does, so the same layers sum in
    /// the same order and a twin trains the library net's numbers exactly; a ResNetModel lays out its own input.
    /// </summary>
    public static Tensor InTrainingLayout(nn.Module model, Tensor x) =>
        model is ResNetModel || x.dim() != 4 || x.device_type != DeviceType.CPU ? x : ChannelsLastCopy(x);

    /// <summary>`linear` in the CIFAR reference, `fc` in torchvision.</summary>
    public string ClassifierName => Family == ModelFamily.Cifar && !Spec.PreActivation ? "linear" : "fc";

    /// <summary>`shortcut` in the CIFAR reference, `downsample` in torchvision.</summary>
    public string ShortcutName => Family == ModelFamily.Cifar && !Spec.PreActivation ? "shortcut" : "downsample";

    /// <summary>The residual blocks with their qualified names (layer1.0, …), in forward order.</summary>
    public IReadOnlyList<(string Name, ResidualBlock Block)> Blocks => blocks;

    /// <summary>(name of the 3×3 conv, BN after it) for every 3×3 layer in forward order, stem included.</summary>
    public IReadOnlyList<(string Conv, BatchNorm2d Norm)> ThreeByThreeOutputs => taps;

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var input = ToLayout(Precision == Precision.Bf16 && x.dtype == ScalarType.Float32 ? x.to(ScalarType.BFloat16) : x.alias());
        var h = Conv.Run(conv1, input);
        if (bn1 is not null)
        {
            using var c = h;
            h = Norm.Run(bn1, c).relu_();
        }
        if (maxpool is not null)
        {
            using var stem = h;
            h = maxpool.call(stem);
        }
        foreach (var (name, block) in blocks)   // the stages' blocks in order (layer1.0, …): what stage.call would run
        {
            using var previous = h;
            h = BlockForward?.Invoke(name, block, previous) ?? block.call(previous);
        }
        if (finalNorm is not null)
        {
            using var last = h;
            h = Norm.Run(finalNorm, last).relu_();
        }
        using (h)
        {
            using var pooled = h.mean([2, 3]);
            if (pooled.dtype == classifier.weight!.dtype) return classifier.call(pooled);
            using var w = MixedPrecision.Weight(classifier.weight, pooled.dtype);
            using var b = MixedPrecision.Weight(classifier.bias!, pooled.dtype);
            using var logits = functional.linear(pooled, w, b);
            return logits.to(ScalarType.Float32);   // the loss in float32, as autocast computes it
        }
    }

    /// <summary>
    /// A study's own forward for some blocks: called with each block's name, the block and its input; a tensor it
    /// returns is that block's output, null runs the block as built. Null (the default) runs every block as built.
    /// Study tools set it from outside (in the ResNetLab library) and build on <see cref="ResidualBlock.Branch"/>,
    /// <see cref="ResidualBlock.ShortcutOf"/> and <see cref="ResidualBlock.Join"/> — so the model knows nothing of them.
    /// </summary>
    public Func<string, ResidualBlock, Tensor, Tensor?>? BlockForward { get; set; }

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

    /// <summary>The paper's init (<see cref="Initialization.Paper"/>), then zero-init of the branches when asked.</summary>
    void InitializeWeights(bool zeroInitResidual)
    {
        Initialization.Paper(this);
        using var _ = no_grad();
        // Zero-init only makes a branch the identity when there is a shortcut to carry the signal.
        if (zeroInitResidual && IsResidual)
            foreach (var (_, block) in Blocks) block.ZeroBranch();
    }

    // Names are registered explicitly in the constructor (CIFAR reference vs torchvision naming), not from fields.
    /// <inheritdoc/>
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

    /// <summary>Removes the hooks and frees any responses not taken.</summary>
    public void Dispose()
    {
        foreach (var remove in removers) remove();
        removers.Clear();
        foreach (var r in responses) r.Output.Dispose();
        responses.Clear();
    }
}
