using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ResNetLab.Models;

/// <summary>
/// The CIFAR networks of §4.2: 3×3 conv (16) → three stages of n blocks on 32/16/8 maps with 16/32/64 filters
/// (stride-2 first conv in stages 2 and 3) → global average pool → FC. Basic blocks give 6n+2 layers; bottleneck
/// blocks (16/32/64 → ×4, as in the authors' follow-up ResNet-164) give 9n+2. Names follow
/// akamaster/pytorch_resnet_cifar10 (conv1, bn1, layer1.0.conv1, …, shortcut.0/1, linear) so its weights load.
/// </summary>
public sealed class CifarResNet : ResNetModel
{
    static readonly long[] Widths = [16, 32, 64];

    readonly Conv2d conv1;
    readonly BatchNorm2d bn1;
    readonly Sequential layer1, layer2, layer3;
    readonly Linear linear;
    readonly List<(string, ResidualBlock)> blocks = [];
    readonly List<(string, BatchNorm2d)> taps = [];

    /// <param name="n">Blocks per stage.</param>
    /// <param name="shortcut">Null builds the plain network (same layers, no shortcuts).</param>
    public CifarResNet(int n, BlockKind block = BlockKind.Basic, ShortcutOption? shortcut = ShortcutOption.A,
                       int numClasses = 10, bool zeroInitResidual = false, string? name = null)
        : base(name ?? DefaultName(n, block, shortcut), ModelFamily.Cifar, DepthOf(n, block), block, shortcut, numClasses, 32)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "a CIFAR ResNet needs at least one block per stage");
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "numClasses must be positive");
        var expansion = block == BlockKind.Basic ? BasicBlock.Expansion : BottleneckBlock.Expansion;

        conv1 = Conv.Conv3x3(3, Widths[0]);
        bn1 = BatchNorm2d(Widths[0]);
        register_module("conv1", conv1);
        register_module("bn1", bn1);
        taps.Add(("conv1", bn1));

        long inChannels = Widths[0];
        var stages = new Sequential[3];
        for (var s = 0; s < 3; s++)
        {
            var stageBlocks = new List<ResidualBlock>();
            for (var i = 0; i < n; i++)
            {
                var stride = s > 0 && i == 0 ? 2 : 1;
                ResidualBlock b = block == BlockKind.Basic
                    ? new BasicBlock(inChannels, Widths[s], stride, shortcut, "shortcut")
                    : new BottleneckBlock(inChannels, Widths[s], stride, shortcut, "shortcut", strideOn3x3: false);
                var blockName = $"layer{s + 1}.{i}";
                blocks.Add((blockName, b));
                taps.AddRange(b.ThreeByThreeOutputs.Select(t => ($"{blockName}.{t.Conv}", t.Norm)));
                stageBlocks.Add(b);
                inChannels = Widths[s] * expansion;
            }
            stages[s] = Stage(stageBlocks);
            register_module($"layer{s + 1}", stages[s]);
        }
        (layer1, layer2, layer3) = (stages[0], stages[1], stages[2]);
        linear = Linear(inChannels, numClasses);
        register_module("linear", linear);
        InitializeWeights(zeroInitResidual);
    }

    /// <summary>The 6n+2-layer residual network with basic blocks (resnet20 is n=3).</summary>
    public static CifarResNet Residual(int depth, ShortcutOption shortcut = ShortcutOption.A, int numClasses = 10) =>
        new(BlocksPerStage(depth, BlockKind.Basic), BlockKind.Basic, shortcut, numClasses);

    /// <summary>The 6n+2-layer plain network: the same stack without shortcuts (§4.2).</summary>
    public static CifarResNet Plain(int depth, int numClasses = 10) =>
        new(BlocksPerStage(depth, BlockKind.Basic), BlockKind.Basic, null, numClasses);

    /// <summary>The 9n+2-layer bottleneck network (resnet164 is n=18).</summary>
    public static CifarResNet Bottleneck(int depth, ShortcutOption? shortcut = ShortcutOption.A, int numClasses = 10) =>
        new(BlocksPerStage(depth, BlockKind.Bottleneck), BlockKind.Bottleneck, shortcut, numClasses);

    public static int DepthOf(int n, BlockKind block) => (block == BlockKind.Basic ? 6 : 9) * n + 2;

    /// <summary>n for a depth of 6n+2 (basic) or 9n+2 (bottleneck); anything else is an error.</summary>
    public static int BlocksPerStage(int depth, BlockKind block)
    {
        var per = block == BlockKind.Basic ? 6 : 9;
        if (depth < per + 2 || (depth - 2) % per != 0)
            throw new ArgumentException($"a CIFAR {block.ToString().ToLowerInvariant()} network has {per}n+2 layers; {depth} is not of that form");
        return (depth - 2) / per;
    }

    static string DefaultName(int n, BlockKind block, ShortcutOption? shortcut) =>
        $"{(shortcut is null ? "plain" : "resnet")}{DepthOf(n, block)}";

    public override string ClassifierName => "linear";
    public override string ShortcutName => "shortcut";
    public override IReadOnlyList<(string Name, ResidualBlock Block)> Blocks => blocks;
    public override IReadOnlyList<(string Conv, BatchNorm2d Norm)> ThreeByThreeOutputs => taps;

    public override Tensor forward(Tensor x)
    {
        using var input = ToLayout(x);
        using var c = conv1.call(input);
        using var h0 = bn1.call(c).relu_();
        using var h1 = layer1.call(h0);
        using var h2 = layer2.call(h1);
        using var h3 = layer3.call(h2);
        using var pooled = h3.mean([2, 3]);
        return linear.call(pooled);
    }
}
