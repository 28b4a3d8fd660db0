namespace ResNetLab.Models;

/// <summary>
/// A network described completely without building it (timm's pretrained_cfg idea, for the architecture): family,
/// block, residual or plain, blocks per stage. Depth, widths, default shortcut, classes, input size and the parameter
/// count all follow from these; run configs and analyses read them here, never from the name.
/// </summary>
/// <param name="BlocksPerStage">CIFAR: three stages of n blocks (§4.2); ImageNet: conv2_x…conv5_x (Table 1).</param>
/// <param name="Name">Registry name, e.g. resnet56, plain20, resnet29-bottleneck.</param>
/// <param name="Family">CIFAR (§4.2) or ImageNet (Table 1) layout.</param>
/// <param name="Block">Basic or bottleneck (Fig. 5).</param>
/// <param name="Residual">With shortcuts (ResNet) or without (the plain twin, §4.1).</param>
/// <param name="PreActivation">He et al.'s follow-up (ECCV 2016): BN → ReLU → conv blocks, no ReLU after the addition,
/// a final BN-ReLU before pooling, 1×1 projections (no BN) where dimensions grow (<see cref="PreActBlock"/>).</param>
public sealed record ModelSpec(string Name, ModelFamily Family, BlockKind Block, bool Residual, IReadOnlyList<int> BlocksPerStage,
                               bool PreActivation = false)
{
    /// <summary>Weighted layers on the main path (convs + fc), as the paper counts depth: 6n+2, 9n+2, or Table 1's.</summary>
    public int Depth => LayersPerBlock * BlocksPerStage.Sum() + 2;

    /// <summary>3×3 layers with a BN right after them (Fig. 7's responses): the stem's, then two per basic block or one per
    /// bottleneck; none in pre-activation nets, where BN comes before each conv.</summary>
    public int ThreeByThreeLayers => PreActivation ? 0 : (Family == ModelFamily.Cifar ? 1 : 0) + BlocksPerStage.Sum() * (Block == BlockKind.Basic ? 2 : 1);

    /// <summary>Weighted layers per block: 2 (basic) or 3 (bottleneck), the n in 6n+2 / 9n+2.</summary>
    public int LayersPerBlock => Block == BlockKind.Basic ? 2 : 3;

    /// <summary>Output channels of a block = its width × expansion (Fig. 5: 4 for the bottleneck's 1×1 expand).</summary>
    public int Expansion => Block == BlockKind.Basic ? 1 : 4;

    /// <summary>Filters per stage: 16/32/64 on CIFAR (§4.2), 64/128/256/512 on ImageNet (Table 1).</summary>
    public IReadOnlyList<long> Widths => Family == ModelFamily.Cifar ? [16, 32, 64] : [64, 128, 256, 512];

    /// <summary>The paper's choice when none is asked for: A on CIFAR (§4.2), B on ImageNet (Table 2); none for plain nets,
    /// nor for pre-activation nets, which have their one rule (projection where dimensions grow).</summary>
    public ShortcutOption? DefaultShortcut => Residual && !PreActivation ? Family == ModelFamily.Cifar ? ShortcutOption.A : ShortcutOption.B : null;

    /// <summary>Classifier outputs when none are asked for: 10 on CIFAR, 1000 on ImageNet.</summary>
    public int DefaultClasses => Family == ModelFamily.Cifar ? 10 : 1000;

    /// <summary>Side of the square input the paper uses (32 for CIFAR, 224 for ImageNet).</summary>
    public int InputSize => Family == ModelFamily.Cifar ? 32 : 224;

    /// <summary>"resnet" or "plain": the word for the network in legends and prose.</summary>
    public string Kind => Residual ? "resnet" : "plain";

    /// <summary>
    /// Parameters of the network as built, by formula (no module built): stem, every block's convs, BNs and projection
    /// shortcuts, the classifier. A test holds it to the count of the real modules and to Table 6.
    /// </summary>
    public long ExpectedParameters(ShortcutOption? shortcut = null, int? classes = null)
    {
        var option = Residual ? shortcut ?? DefaultShortcut : null;
        static long Conv(long inC, long outC, long k) => inC * outC * k * k;
        static long Norm(long c) => 2 * c;
        var stem = Widths[0];
        // Post-activation: BN after the stem and after every conv. Pre-activation: a bare stem conv, BN before every
        // conv, bare 1×1 projections where dimensions grow, and one final BN before pooling.
        long total = Conv(3, stem, Family == ModelFamily.Cifar ? 3 : 7) + (PreActivation ? 0 : Norm(stem));
        var inChannels = stem;
        for (var s = 0; s < BlocksPerStage.Count; s++)
            for (var i = 0; i < BlocksPerStage[s]; i++)
            {
                var width = Widths[s];
                var outChannels = width * Expansion;
                (long In, long Out, long K)[] convs = Block == BlockKind.Basic
                    ? [(inChannels, width, 3), (width, width, 3)]
                    : [(inChannels, width, 1), (width, width, 3), (width, outChannels, 1)];
                foreach (var c in convs) total += Conv(c.In, c.Out, c.K) + Norm(PreActivation ? c.In : c.Out);
                var grows = (s > 0 && i == 0) || inChannels != outChannels;
                if (PreActivation ? grows : option == ShortcutOption.C || (option == ShortcutOption.B && grows))
                    total += Conv(inChannels, outChannels, 1) + (PreActivation ? 0 : Norm(outChannels));
                inChannels = outChannels;
            }
        var outputs = classes ?? DefaultClasses;
        return total + (PreActivation ? Norm(inChannels) : 0) + inChannels * outputs + outputs;
    }
}
