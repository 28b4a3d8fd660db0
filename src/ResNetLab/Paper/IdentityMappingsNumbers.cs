namespace ResNetLab.Paper;

/// <summary>One CIFAR-10 row of the pre-activation paper: the original net's test error beside its pre-activation twin's.</summary>
/// <param name="Model">The pre-activation network's registry name.</param>
/// <param name="Original">The original (post-activation) network's registry name.</param>
/// <param name="Depth">Layers, counted as He et al. count them.</param>
/// <param name="ParamsMillions">Parameters as printed (millions): the conv and fc weights — BN's γ and β are not counted
/// (ResNet-1001: 10.18M of them, 10.33M with BN's).</param>
/// <param name="OriginalErrorPercent">Test error of the original ResNet (%), as that paper reports it.</param>
/// <param name="PreActErrorPercent">Test error of the pre-activation ResNet (%).</param>
public sealed record PreActResult(string Model, string Original, int Depth, double ParamsMillions, double OriginalErrorPercent, double PreActErrorPercent);

/// <summary>
/// The numbers of He, Zhang, Ren, Sun, "Identity Mappings in Deep Residual Networks" (ECCV 2016) that this code
/// reproduces, each once, next to its source. Tests hold the code to them.
/// </summary>
public static class IdentityMappingsNumbers
{
    /// <summary>
    /// CIFAR-10 test error (%), original vs pre-activation (Table 3 for ResNet-110, 164 and 1001; mean of 5 runs);
    /// parameters from the same table ("1.7M" for both 110 and 164, "10.2M" for 1001).
    /// </summary>
    public static readonly IReadOnlyList<PreActResult> Cifar10 =
    [
        new("preact-resnet110", "resnet110", 110, 1.7, 6.61, 6.37),
        new("preact-resnet164", "resnet164", 164, 1.7, 5.93, 5.46),
        new("preact-resnet1001", "resnet1001-bottleneck", 1001, 10.2, 7.61, 4.92),
    ];
}
