using ResNetLab.Models;

namespace ResNetLab.Paper;

/// <summary>A CIFAR-10 row of Table 6. <see cref="ParamsMillions"/> is printed with <see cref="ParamsDecimals"/> decimals.</summary>
public sealed record CifarResult(string Model, int Depth, double ParamsMillions, int ParamsDecimals, long ExactParameters,
                                 double TestErrorPercent, string? Note = null);

/// <summary>An ImageNet validation row (10-crop testing): top-1 and top-5 error in %.</summary>
public sealed record ImageNetResult(string Model, ShortcutOption? Option, double Top1ErrorPercent, double Top5ErrorPercent);

/// <summary>
/// The numbers of He et al., "Deep Residual Learning for Image Recognition" (CVPR 2016) that this code reproduces,
/// each once, next to its source. Tests hold the code to them.
/// </summary>
public static class PaperNumbers
{
    /// <summary>
    /// Table 6 (CIFAR-10 test error, option A). Parameters in millions as printed; ExactParameters is the count of the
    /// architecture §4.2 describes (option A, 10 classes), which the paper rounds to that figure.
    /// </summary>
    public static readonly IReadOnlyList<CifarResult> Table6 =
    [
        new("resnet20", 20, 0.27, 2, 269_722, 8.75),
        new("resnet32", 32, 0.46, 2, 464_154, 7.51),
        new("resnet44", 44, 0.66, 2, 658_586, 7.17),
        new("resnet56", 56, 0.85, 2, 853_018, 6.97),
        new("resnet110", 110, 1.7, 1, 1_727_962, 6.43, "best of 5 runs; mean 6.61±0.16"),
        new("resnet1202", 1202, 19.4, 1, 19_421_274, 7.93),
    ];

    /// <summary>Table 6, ResNet-110: mean ± std of the test error over 5 runs (the "6.61±0.16" beside the best 6.43).</summary>
    public static readonly (double Mean, double Std) ResNet110MeanOf5 = (6.61, 0.16);

    /// <summary>Table 1, last row: FLOPs (multiply-adds, ×10⁹) at 224×224.</summary>
    public static readonly IReadOnlyDictionary<string, double> Table1MultiplyAddsBillions = new Dictionary<string, double>
    {
        ["resnet18"] = 1.8,
        ["resnet34"] = 3.6,
        ["resnet50"] = 3.8,
        ["resnet101"] = 7.6,
        ["resnet152"] = 11.3,
    };

    /// <summary>§3.3 "Network Architectures": VGG-19 has 19.6 billion FLOPs; the 34-layer baseline 3.6 billion (18%).</summary>
    public const double Vgg19MultiplyAddsBillions = 19.6;

    /// <summary>Table 2: ImageNet top-1 error (%, 10-crop testing) of the plain vs residual 18/34-layer nets (option A).</summary>
    public static readonly IReadOnlyDictionary<string, double> Table2Top1ErrorPercent = new Dictionary<string, double>
    {
        ["plain18"] = 27.94,
        ["plain34"] = 28.54,
        ["resnet18"] = 27.88,
        ["resnet34"] = 25.03,
    };

    /// <summary>Table 3: ImageNet validation error (%, 10-crop testing); 50/101/152 use option B.</summary>
    public static readonly IReadOnlyList<ImageNetResult> Table3 =
    [
        new("plain34", null, 28.54, 10.02),
        new("resnet34", ShortcutOption.A, 25.03, 7.76),
        new("resnet34", ShortcutOption.B, 24.52, 7.46),
        new("resnet34", ShortcutOption.C, 24.19, 7.40),
        new("resnet50", ShortcutOption.B, 22.85, 6.71),
        new("resnet101", ShortcutOption.B, 21.75, 6.05),
        new("resnet152", ShortcutOption.B, 21.43, 5.71),
    ];
}
