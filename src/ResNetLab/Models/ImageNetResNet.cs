using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ResNetLab.Models;

/// <summary>
/// The ImageNet networks of Table 1: 7×7/2 conv (64) → 3×3/2 max pool → conv2_x…conv5_x (64/128/256/512 filters,
/// stride 2 at the start of conv3_x…conv5_x) → global average pool → FC. Names follow torchvision
/// (conv1, bn1, layer1.0.conv1, …, downsample.0/1, fc) so its weights load.
/// </summary>
public sealed class ImageNetResNet : ResNetModel
{
    static readonly long[] Widths = [64, 128, 256, 512];

    readonly Conv2d conv1;
    readonly BatchNorm2d bn1;
    readonly MaxPool2d maxpool;
    readonly Sequential layer1, layer2, layer3, layer4;
    readonly Linear fc;
    readonly List<(string, ResidualBlock)> blocks = [];
    readonly List<(string, BatchNorm2d)> taps = [];

    /// <param name="blocksPerStage">Blocks in conv2_x…conv5_x (Table 1), e.g. [3, 4, 6, 3] for 34 and 50.</param>
    /// <param name="shortcut">Null builds the plain network.</param>
    /// <param name="strideOn3x3">Bottlenecks only: torchvision "v1.5" stride placement (see <see cref="BottleneckBlock"/>).</param>
    public ImageNetResNet(int[] blocksPerStage, BlockKind block, ShortcutOption? shortcut = ShortcutOption.B,
                          int numClasses = 1000, bool zeroInitResidual = false, bool strideOn3x3 = false, string? name = null)
        : base(name ?? DefaultName(blocksPerStage, block, shortcut), ModelFamily.ImageNet, DepthOf(blocksPerStage, block),
               block, shortcut, numClasses, 224)
    {
        if (blocksPerStage.Length != 4 || blocksPerStage.Any(b => b < 1))
            throw new ArgumentException("an ImageNet ResNet has four stages of at least one block each (Table 1)", nameof(blocksPerStage));
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "numClasses must be positive");
        var expansion = block == BlockKind.Basic ? BasicBlock.Expansion : BottleneckBlock.Expansion;

        conv1 = Conv2d(3, Widths[0], kernel_size: 7, stride: 2, padding: 3, bias: false);
        bn1 = BatchNorm2d(Widths[0]);
        maxpool = MaxPool2d(kernel_size: 3, stride: 2, padding: 1);
        register_module("conv1", conv1);
        register_module("bn1", bn1);
        register_module("maxpool", maxpool);

        long inChannels = Widths[0];
        var stages = new Sequential[4];
        for (var s = 0; s < 4; s++)
        {
            var stageBlocks = new List<ResidualBlock>();
            for (var i = 0; i < blocksPerStage[s]; i++)
            {
                var stride = s > 0 && i == 0 ? 2 : 1;
                ResidualBlock b = block == BlockKind.Basic
                    ? new BasicBlock(inChannels, Widths[s], stride, shortcut, "downsample")
                    : new BottleneckBlock(inChannels, Widths[s], stride, shortcut, "downsample", strideOn3x3);
                var blockName = $"layer{s + 1}.{i}";
                blocks.Add((blockName, b));
                taps.AddRange(b.ThreeByThreeOutputs.Select(t => ($"{blockName}.{t.Conv}", t.Norm)));
                stageBlocks.Add(b);
                inChannels = Widths[s] * expansion;
            }
            stages[s] = Stage(stageBlocks);
            register_module($"layer{s + 1}", stages[s]);
        }
        (layer1, layer2, layer3, layer4) = (stages[0], stages[1], stages[2], stages[3]);
        fc = Linear(inChannels, numClasses);
        register_module("fc", fc);
        InitializeWeights(zeroInitResidual);
    }

    public static int DepthOf(int[] blocksPerStage, BlockKind block) =>
        (block == BlockKind.Basic ? 2 : 3) * blocksPerStage.Sum() + 2;

    static string DefaultName(int[] blocksPerStage, BlockKind block, ShortcutOption? shortcut) =>
        $"{(shortcut is null ? "plain" : "resnet")}{DepthOf(blocksPerStage, block)}";

    public override string ClassifierName => "fc";
    public override string ShortcutName => "downsample";
    public override IReadOnlyList<(string Name, ResidualBlock Block)> Blocks => blocks;
    public override IReadOnlyList<(string Conv, BatchNorm2d Norm)> ThreeByThreeOutputs => taps;

    public override Tensor forward(Tensor x)
    {
        using var input = ToLayout(x);
        using var c = conv1.call(input);
        using var h = bn1.call(c).relu_();
        using var p = maxpool.call(h);
        using var h1 = layer1.call(p);
        using var h2 = layer2.call(h1);
        using var h3 = layer3.call(h2);
        using var h4 = layer4.call(h3);
        using var pooled = h4.mean([2, 3]);
        return fc.call(pooled);
    }
}
