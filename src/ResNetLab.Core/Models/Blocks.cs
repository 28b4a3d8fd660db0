using ResNetLab.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ResNetLab.Models;

/// <summary>The two conv shapes every block is built from (torchvision's conv3x3/conv1x1); BN follows, so no bias.</summary>
public static class Conv
{
    /// <summary>3×3 conv, padding 1, no bias (BN follows): every 3×3 layer of the paper.</summary>
    public static Conv2d Conv3x3(long inChannels, long outChannels, long stride = 1) =>
        Conv2d(inChannels, outChannels, kernel_size: 3, stride: stride, padding: 1, bias: false);

    /// <summary>1×1 conv, no bias: bottleneck reduce/expand and projection shortcuts.</summary>
    public static Conv2d Conv1x1(long inChannels, long outChannels, long stride = 1) =>
        Conv2d(inChannels, outChannels, kernel_size: 1, stride: stride, bias: false);

    /// <summary>Projection shortcut (options B/C): 1×1 conv then BN, named 0/1 as both PyTorch references do.</summary>
    public static Sequential Projection(long inChannels, long outChannels, long stride) =>
        Sequential(("0", Conv1x1(inChannels, outChannels, stride)), ("1", BatchNorm2d(outChannels)));

    /// <summary>
    /// The conv in the input's precision, as autocast does: a bfloat16 input meets the bfloat16 copy of the float32
    /// master weight that <see cref="MixedPrecision"/> holds (the gradient reaches the float32 weight); float32 runs as is.
    /// </summary>
    public static Tensor Run(Conv2d conv, Tensor x)
    {
        if (x.device_type == TorchSharp.DeviceType.CPU && is_grad_enabled() && IsWideOneByOne(conv)) return OneByOneAsMatmul(conv, x);
        if (x.dtype == conv.weight!.dtype) return conv.call(x);
        using var w = MixedPrecision.Weight(conv.weight, x.dtype);
        return functional.conv2d(x, w, null, conv.stride, conv.padding, conv.dilation, conv.groups);
    }

    /// <summary>
    /// A 1×1 convolution (no padding, one group) with 1,024 or more outputs or inputs: where oneDNN v3.7.1's convolution
    /// faults on AVX-512 CPUs with two or more threads (<see cref="ResNetModel.HasWideOneByOne"/>) — forward in
    /// channels-last, backward (whose data gradient has the inputs' width) in either layout.
    /// </summary>
    public static bool IsWideOneByOne(Conv2d conv) =>
        conv.weight is { } w && Math.Max(w.shape[0], w.shape[1]) >= 1024 && w.shape[2] == 1 && w.shape[3] == 1 && conv.groups == 1 &&
        conv.padding is null or [0, 0] && conv.dilation is null or [1, 1];

    /// <summary>
    /// The same 1×1 convolution as a matrix product over the channels (subsample by the stride, then [N·H·W, in] ×
    /// [in, out]), which autograd differentiates without oneDNN's convolution kernels: how the bottleneck nets train on a
    /// CPU (the same arithmetic; the summation order, hence float rounding, may differ). Forward hooks on the conv do not
    /// fire here; evaluation (no gradient) runs the conv itself, in NCHW.
    /// </summary>
    static Tensor OneByOneAsMatmul(Conv2d conv, Tensor x)
    {
        var stride = conv.stride is { Length: > 0 } st ? st[0] : 1;
        using var sub = stride == 1 ? x.alias() : x[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(step: stride), TensorIndex.Slice(step: stride)];
        using var nhwc = sub.permute(0, 2, 3, 1);
        using var w = x.dtype == conv.weight!.dtype ? conv.weight.alias() : MixedPrecision.Weight(conv.weight, x.dtype);
        using var flat = w.flatten(1);
        using var wt = flat.t();
        using var y = nhwc.matmul(wt);
        using var nchw = y.permute(0, 3, 1, 2);
        return nchw.contiguous();   // NCHW memory: a channels-last tensor would send the next convolutions down oneDNN's faulting path
    }

    /// <summary>A projection shortcut (1×1 conv, BN) in the input's precision; BN keeps float32 statistics.</summary>
    public static Tensor RunProjection(Sequential projection, Tensor x)
    {
        var layers = projection.children().ToList();
        using var c = Run((Conv2d)layers[0], x);
        return Norm.Run((BatchNorm2d)layers[1], c);
    }
}

/// <summary>
/// BN as TorchSharp's BatchNorm.forward computes it, minus its <c>num_batches_tracked.add_(1)</c>: that call makes two
/// Scalars a finalizer may free while libtorch reads them (<see cref="HeldScalars"/>, issue 25). In training the
/// counter is bumped with a held Scalar and <c>batch_norm</c> called directly (forward hooks on the BN do not fire; the
/// taps of Fig. 7 run in eval mode); in eval mode, and for cumulative averages (momentum 0 or none), the module runs.
/// </summary>
public static class Norm
{
    /// <summary>bn(x) without a finalizer-freed Scalar in the training step.</summary>
    public static Tensor Run(BatchNorm2d bn, Tensor x)
    {
        if (!bn.training || bn.num_batches_tracked is not { } counter || bn.momentum is not (> 0 and var momentum)) return bn.call(x);
        if (x.ndim != 4) throw new ArgumentException($"expected 4D input, but got {x.ndim}D input.");
        counter.add_(HeldScalars.One, HeldScalars.One);
        return functional.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias, training: true, momentum, bn.eps);
    }
}

/// <summary>
/// Option A (§3.3): identity with stride-2 subsampling and the extra channels zero-padded, half before and half after,
/// exactly as akamaster/pytorch_resnet_cifar10's <c>F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, p, p))</c>. Parameter-free.
/// </summary>
public sealed class ZeroPadShortcut : Module<Tensor, Tensor>
{
    readonly long stride;
    readonly long inChannels;
    readonly long padBefore;
    readonly long padAfter;

    /// <summary>Option A from <paramref name="inChannels"/> to <paramref name="outChannels"/> (never fewer) at <paramref name="stride"/>.</summary>
    public ZeroPadShortcut(long inChannels, long outChannels, long stride) : base(nameof(ZeroPadShortcut))
    {
        if (outChannels < inChannels) throw new ArgumentException($"option A cannot shrink channels ({inChannels} → {outChannels})");
        this.stride = stride;
        this.inChannels = inChannels;
        padBefore = (outChannels - inChannels) / 2;
        padAfter = outChannels - inChannels - padBefore;
    }

    Tensor Subsample(Tensor x) => stride == 1 ? x.alias() : x[.., .., TensorIndex.Slice(step: stride), TensorIndex.Slice(step: stride)];

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var s = Subsample(x);
        return functional.pad(s, [0, 0, 0, 0, padBefore, padAfter]);
    }

    /// <summary>
    /// residual += shortcut(x) without building the padded tensor: the zero channels add nothing, so only the middle
    /// <c>inChannels</c> channels of the residual receive the subsampled input (the hot path; see bench).
    /// </summary>
    public Tensor AddInto(Tensor residual, Tensor x)
    {
        using var s = Subsample(x);
        using var middle = residual.narrow(1, padBefore, inChannels);
        middle.add_(s, HeldScalars.One);
        return residual;
    }
}

/// <summary>A residual (or plain) block: its layers, its shortcut, and which BN outputs are 3×3 layer responses.</summary>
public abstract class ResidualBlock : Module<Tensor, Tensor>
{
    /// <summary>A block named for its class (the module name TorchSharp reports).</summary>
    protected ResidualBlock(string name) : base(name) { }

    /// <summary>Null for plain blocks and identity shortcuts.</summary>
    public Module<Tensor, Tensor>? Shortcut { get; protected set; }

    /// <summary>The BN whose γ zero-init-residual sets to 0 (the last in the branch).</summary>
    public abstract BatchNorm2d LastNorm { get; }

    /// <summary>
    /// Makes the residual branch output zero so the block starts as its shortcut (zero-init residual, Goyal et al. 2017):
    /// γ = 0 in the branch's last BN; a pre-activation branch ends in a conv, whose weight is zeroed instead.
    /// </summary>
    public virtual void ZeroBranch()
    {
        using var _ = no_grad();
        init.zeros_(LastNorm.weight!);
    }

    /// <summary>(conv name, BN after it) for each 3×3 conv, in forward order (Fig. 7 responses).</summary>
    public abstract IEnumerable<(string Conv, BatchNorm2d Norm)> ThreeByThreeOutputs { get; }

    /// <summary>
    /// Builds the shortcut the option calls for, or null for identity/plain. <paramref name="name"/> is `shortcut` in
    /// the CIFAR reference and `downsample` in torchvision, so either family's weights load by name.
    /// </summary>
    protected void AddShortcut(string name, ShortcutOption? option, long inChannels, long outChannels, long stride)
    {
        RecordShape(inChannels, outChannels, stride);
        residual = option is not null;
        var grows = stride != 1 || inChannels != outChannels;
        Shortcut = option switch
        {
            null => null,
            ShortcutOption.A when grows => new ZeroPadShortcut(inChannels, outChannels, stride),
            ShortcutOption.B when grows => Conv.Projection(inChannels, outChannels, stride),
            ShortcutOption.C => Conv.Projection(inChannels, outChannels, stride),
            _ => null,
        };
        if (Shortcut is not null) register_module(name, Shortcut);
    }

    long blockIn, blockOut, blockStride;

    /// <summary>Channels coming in.</summary>
    public long InChannels => blockIn;
    /// <summary>Channels going out.</summary>
    public long OutChannels => blockOut;
    /// <summary>2 where the block halves the map, else 1.</summary>
    public long Stride => blockStride;

    /// <summary>The block halves the map or widens it (the first block of a later stage): its shortcut is not the identity.</summary>
    public bool ChangesShape => blockStride != 1 || blockIn != blockOut;

    /// <summary>The block's input and output channels and stride.</summary>
    protected void RecordShape(long inChannels, long outChannels, long stride) => (blockIn, blockOut, blockStride) = (inChannels, outChannels, stride);

    bool residual;

    /// <summary>True when the block adds its shortcut (a residual block: <see cref="AddShortcut"/> was given an option); false for a plain block.</summary>
    public virtual bool IsResidual => residual;

    /// <summary>True when a ReLU follows the addition (§3.3); false in pre-activation blocks, whose output is the sum itself.</summary>
    public virtual bool ActivatesAfterAddition => true;

    /// <summary>The residual function F(x): the block's layers, before the addition (a new tensor the caller owns).</summary>
    public abstract Tensor Branch(Tensor x);

    /// <summary>
    /// What the shortcut passes on from <paramref name="x"/> (a new tensor): the identity (an alias of x), option A's
    /// subsampling and zero channels, or the projection — in x's precision. A plain block has none: an error.
    /// </summary>
    public Tensor ShortcutOf(Tensor x) => Shortcut switch
    {
        null when IsResidual => x.alias(),
        null => throw new InvalidOperationException($"a plain {GetType().Name} has no shortcut"),
        ZeroPadShortcut pad => pad.call(x),
        Sequential projection when projection.children().Count() == 1 => Conv.Run((Conv2d)projection.children().First(), x),
        Sequential projection => Conv.RunProjection(projection, x),
        _ => Shortcut.call(x),
    };

    /// <summary>
    /// The block's output from its branch's output <paramref name="branch"/> and its input <paramref name="x"/> (for the
    /// shortcut): ReLU(F + shortcut(x)), the sum alone in pre-activation blocks, ReLU(F) in plain ones. Works in place on
    /// <paramref name="branch"/> and returns it: BN's backward does not need its output.
    /// </summary>
    public Tensor Join(Tensor branch, Tensor x)
    {
        var y = !IsResidual ? branch
            : Shortcut switch
            {
                null => branch.add_(x, HeldScalars.One),
                ZeroPadShortcut pad => pad.AddInto(branch, x),
                _ => AddInto(branch, x),
            };
        return ActivatesAfterAddition ? y.relu_() : y;
    }

    Tensor AddInto(Tensor branch, Tensor x)
    {
        using var s = ShortcutOf(x);
        return branch.add_(s, HeldScalars.One);
    }

    /// <summary>The block: <see cref="Join"/>(<see cref="Branch"/>(x), x).</summary>
    public override Tensor forward(Tensor x) => Join(Branch(x), x);

    // Names are registered explicitly in the constructors (CIFAR reference vs torchvision naming), not from fields.
    /// <inheritdoc/>
    protected override void RegisterComponents() { }
}

/// <summary>Two 3×3 layers (Fig. 5 left); BN after each conv, ReLU after the addition (§3.3).</summary>
public sealed class BasicBlock : ResidualBlock
{
    /// <summary>Output channels per unit of width: 1, a basic block keeps its width.</summary>
    public const int Expansion = 1;
    readonly Conv2d conv1, conv2;
    readonly BatchNorm2d bn1, bn2;

    /// <summary>A basic block from <paramref name="inChannels"/> to <paramref name="planes"/> channels; stride 2 on the first conv halves the map.</summary>
    /// <param name="inChannels">Channels coming in.</param>
    /// <param name="planes">Width of both 3×3 convs (16, 32 or 64 on CIFAR).</param>
    /// <param name="stride">2 for the first block of a stage after the first (halves the map, §3.3), else 1.</param>
    /// <param name="shortcut">The shortcut option; null builds a plain block (no addition).</param>
    /// <param name="shortcutName">shortcut (CIFAR reference) or downsample (torchvision), so weights load by name.</param>
    public BasicBlock(long inChannels, long planes, long stride, ShortcutOption? shortcut, string shortcutName)
        : base(nameof(BasicBlock))
    {
        conv1 = Conv.Conv3x3(inChannels, planes, stride);
        bn1 = BatchNorm2d(planes);
        conv2 = Conv.Conv3x3(planes, planes);
        bn2 = BatchNorm2d(planes);
        register_module("conv1", conv1);
        register_module("bn1", bn1);
        register_module("conv2", conv2);
        register_module("bn2", bn2);
        AddShortcut(shortcutName, shortcut, inChannels, planes * Expansion, stride);
    }

    /// <inheritdoc/>
    public override BatchNorm2d LastNorm => bn2;

    /// <inheritdoc/>
    public override IEnumerable<(string Conv, BatchNorm2d Norm)> ThreeByThreeOutputs => [("conv1", bn1), ("conv2", bn2)];

    /// <summary>bn2(conv2(ReLU(bn1(conv1(x))))).</summary>
    public override Tensor Branch(Tensor x)
    {
        using var c1 = Conv.Run(conv1, x);
        using var h = Norm.Run(bn1, c1).relu_();
        using var c2 = Conv.Run(conv2, h);
        return Norm.Run(bn2, c2);
    }
}

/// <summary>
/// 1×1 reduce, 3×3, 1×1 expand ×4 (Fig. 5 right). The paper strides the first 1×1; torchvision's "ResNet v1.5"
/// strides the 3×3 instead (slightly more accurate, ~0.23×10⁹ more multiply-adds for ResNet-50), chosen by a flag.
/// </summary>
public sealed class BottleneckBlock : ResidualBlock
{
    /// <summary>Output channels per unit of width: 4, the 1×1 expand (Fig. 5 right: 64 → 256).</summary>
    public const int Expansion = 4;
    readonly Conv2d conv1, conv2, conv3;
    readonly BatchNorm2d bn1, bn2, bn3;

    /// <summary>A bottleneck block of width <paramref name="planes"/> (output planes × 4), striding the first 1×1 as the paper does.</summary>
    /// <param name="inChannels">Channels coming in.</param>
    /// <param name="planes">Width of the 1×1 reduce and the 3×3; the block outputs planes × 4.</param>
    /// <param name="stride">2 for the first block of a stage after the first, else 1.</param>
    /// <param name="shortcut">The shortcut option; null builds a plain block.</param>
    /// <param name="shortcutName">shortcut (CIFAR reference) or downsample (torchvision), so weights load by name.</param>
    /// <param name="strideOn3x3">Stride the 3×3 instead (torchvision's "ResNet v1.5").</param>
    public BottleneckBlock(long inChannels, long planes, long stride, ShortcutOption? shortcut, string shortcutName, bool strideOn3x3)
        : base(nameof(BottleneckBlock))
    {
        conv1 = Conv.Conv1x1(inChannels, planes, strideOn3x3 ? 1 : stride);
        bn1 = BatchNorm2d(planes);
        conv2 = Conv.Conv3x3(planes, planes, strideOn3x3 ? stride : 1);
        bn2 = BatchNorm2d(planes);
        conv3 = Conv.Conv1x1(planes, planes * Expansion);
        bn3 = BatchNorm2d(planes * Expansion);
        register_module("conv1", conv1);
        register_module("bn1", bn1);
        register_module("conv2", conv2);
        register_module("bn2", bn2);
        register_module("conv3", conv3);
        register_module("bn3", bn3);
        AddShortcut(shortcutName, shortcut, inChannels, planes * Expansion, stride);
    }

    /// <inheritdoc/>
    public override BatchNorm2d LastNorm => bn3;

    /// <inheritdoc/>
    public override IEnumerable<(string Conv, BatchNorm2d Norm)> ThreeByThreeOutputs => [("conv2", bn2)];

    /// <summary>bn3(conv3(ReLU(bn2(conv2(ReLU(bn1(conv1(x)))))))).</summary>
    public override Tensor Branch(Tensor x)
    {
        using var c1 = Conv.Run(conv1, x);
        using var h1 = Norm.Run(bn1, c1).relu_();
        using var c2 = Conv.Run(conv2, h1);
        using var h2 = Norm.Run(bn2, c2).relu_();
        using var c3 = Conv.Run(conv3, h2);
        return Norm.Run(bn3, c3);
    }
}
