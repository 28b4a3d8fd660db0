using ResNetLab.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ResNetLab.Models;

/// <summary>
/// Pre-activation blocks (He, Zhang, Ren, Sun, "Identity Mappings in Deep Residual Networks", ECCV 2016, Fig. 4e):
/// BN → ReLU → conv, twice (three times in the bottleneck), and the addition is not followed by a ReLU, so the
/// shortcut path is a clean identity from block to block. Where dimensions grow, a 1×1 projection (no BN) of the
/// block's input is the shortcut, and names follow bearpaw/pytorch-classification's preresnet (bn1, conv1, …,
/// downsample.0) so its published CIFAR weights load.
/// </summary>
public sealed class PreActBlock : ResidualBlock
{
    readonly BatchNorm2d[] norms;
    readonly Conv2d[] convs;

    /// <param name="inChannels">Input channels.</param>
    /// <param name="planes">Width of the 3×3 conv(s); the block outputs planes × expansion channels.</param>
    /// <param name="stride">2 where a stage starts (on the first conv of a basic block, on the 3×3 of a bottleneck).</param>
    /// <param name="block">Basic (two 3×3) or bottleneck (1×1, 3×3, 1×1 ×4).</param>
    public PreActBlock(long inChannels, long planes, long stride, BlockKind block) : base(nameof(PreActBlock))
    {
        var outChannels = planes * (block == BlockKind.Basic ? BasicBlock.Expansion : BottleneckBlock.Expansion);
        if (block == BlockKind.Basic)
        {
            norms = [BatchNorm2d(inChannels), BatchNorm2d(planes)];
            convs = [Conv.Conv3x3(inChannels, planes, stride), Conv.Conv3x3(planes, planes)];
        }
        else
        {
            norms = [BatchNorm2d(inChannels), BatchNorm2d(planes), BatchNorm2d(planes)];
            convs = [Conv.Conv1x1(inChannels, planes), Conv.Conv3x3(planes, planes, stride), Conv.Conv1x1(planes, outChannels)];
        }
        for (var i = 0; i < convs.Length; i++)
        {
            register_module($"bn{i + 1}", norms[i]);
            register_module($"conv{i + 1}", convs[i]);
        }
        // Projection only where the shape changes (bearpaw's preresnet: a bare 1×1 conv of x).
        if (stride != 1 || inChannels != outChannels)
        {
            Shortcut = Sequential(("0", Conv.Conv1x1(inChannels, outChannels, stride)));
            register_module("downsample", Shortcut);
        }
        RecordShape(inChannels, outChannels, stride);
    }

    /// <summary>No BN ends a pre-activation branch; the first BN is returned (zero-init zeroes the last conv instead, <see cref="ZeroBranch"/>).</summary>
    public override BatchNorm2d LastNorm => norms[0];

    /// <summary>The branch ends in a conv: its weight is zeroed, so the block starts as its shortcut.</summary>
    public override void ZeroBranch()
    {
        using var _ = no_grad();
        init.zeros_(convs[^1].weight!);
    }

    /// <summary>Pre-activation nets have no BN right after a 3×3 conv; Fig. 7's responses are not defined for them.</summary>
    public override IEnumerable<(string Conv, BatchNorm2d Norm)> ThreeByThreeOutputs => [];

    /// <inheritdoc/>
    public override bool IsResidual => true;

    /// <summary>No ReLU after the addition: the identity path stays clean (Identity Mappings, Fig. 4e).</summary>
    public override bool ActivatesAfterAddition => false;

    /// <summary>(BN → ReLU → conv) per layer.</summary>
    public override Tensor Branch(Tensor x)
    {
        var h = x.alias();
        for (var i = 0; i < convs.Length; i++)
        {
            using var input = h;
            using var normed = Norm.Run(norms[i], input);
            using var activated = normed.relu();
            h = Conv.Run(convs[i], activated);
        }
        return h;
    }
}
