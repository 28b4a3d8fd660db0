using System.Globalization;
using ResNetLab.Paper;

namespace ResNetLab.Analysis;

/// <summary>
/// The "what we saw" paragraphs of the notebooks, computed from results (never typed-in numbers), as short HTML.
/// </summary>
public static partial class Findings
{
    static string F(double v, string format = "0.00") => v.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>Notebook 01: do the built networks have the paper's sizes?</summary>
    public static string ModelSizes()
    {
        var cifar = PaperTables.CifarParametersComparison();
        var cifarOk = cifar.Count(c => c.Paper is { } p && Math.Abs(Math.Round(c.Ours, p < 1 ? 2 : 1) - p) < 1e-9);
        var imagenet = PaperTables.ImageNetMultiplyAddsComparison().Where(c => !double.IsNaN(c.Ours) && c.Paper is not null).ToList();
        var imagenetOk = imagenet.Count(c => PaperRounding.Matches(c.Ours, c.Paper!.Value));
        var r56 = cifar.Single(c => c.Label == "resnet56");
        var r152 = imagenet.Single(c => c.Label == "resnet152");
        return $"<p><b>{cifarOk} of {cifar.Count}</b> CIFAR-10 ResNets have Table 6's parameter count once rounded as the paper rounds " +
               $"(e.g. ResNet-56: {F(r56.Ours, "0.0000")}M measured vs {F(r56.Paper!.Value)}M printed), and each plain twin has exactly the same count. " +
               $"<b>{imagenetOk} of {imagenet.Count}</b> ImageNet nets match Table 1's multiply-adds (ResNet-152: {F(r152.Ours)}×10⁹ measured vs " +
               $"{F(r152.Paper!.Value, "0.0")}×10⁹; VGG-19: {F(PaperNumbers.Vgg19MultiplyAddsBillions, "0.0")}×10⁹). " +
               "Any difference in how plain and residual twins <i>train</i> therefore comes from the shortcuts alone.</p>";
    }
}
