using Microsoft.Data.Analysis;
using ResNetLab.Models;
using ResNetLab.Paper;
using ResNetLab.Training;

namespace ResNetLab.Analysis;

/// <summary>Notebook 10: an original net and its pre-activation twin, trained alike.</summary>
/// <param name="Original">The original (post-activation) ResNet.</param>
/// <param name="PreActivation">Its pre-activation twin.</param>
/// <param name="TestDifferencePoints">Pre-activation minus original test error (points; negative: pre-activation better).</param>
/// <param name="TrainDifferencePoints">Pre-activation minus original training error (points).</param>
/// <param name="NoisePoints">Sampling noise of a test error at this evaluation-set size (points, ±1 standard error).</param>
/// <param name="WithinNoise">The test difference is less than <see cref="Findings.NoiseMultiple"/> times that noise: no winner can be called.</param>
/// <param name="Paper">The pre-activation paper's row for this pair (Table 3), null if it has none.</param>
public sealed record PreActivationPair(FinalResult Original, FinalResult PreActivation, double TestDifferencePoints, double TrainDifferencePoints,
                                       double NoisePoints, bool WithinNoise, PreActResult? Paper);

/// <summary>Notebook 10's facts: each pair, and whether the runs had the paper's schedule (only then do the paper's numbers compare).</summary>
/// <param name="Pairs">Original vs pre-activation, by depth.</param>
/// <param name="PaperSchedule">Every run trained the paper's 64k iterations.</param>
/// <param name="PreAct1001Hours">Estimated hours to train pre-activation ResNet-1001 on the paper's schedule on this machine.</param>
/// <param name="PreAct1001Basis">What that estimate rests on.</param>
public sealed record PreActivationFacts(IReadOnlyList<PreActivationPair> Pairs, bool PaperSchedule, double PreAct1001Hours, string PreAct1001Basis);

/// <summary>Original vs pre-activation residual units (He, Zhang, Ren, Sun, "Identity Mappings in Deep Residual Networks", ECCV 2016).</summary>
public static class PreActivationAnalysis
{
    /// <summary>Parameters as that paper counts them: the conv and fc weights, measured from the built modules (BN's γ and β left out).</summary>
    public static long WeightCount(string model)
    {
        using var net = ModelZoo.Create(model);
        return net.parameters().Where(p => p.dim() > 1).Sum(p => p.numel());
    }

    /// <summary>That paper's CIFAR-10 test errors (%) by model name, original and pre-activation (Table 3), for reference lines.</summary>
    public static IReadOnlyDictionary<string, double> PaperTestErrors { get; } =
        IdentityMappingsNumbers.Cifar10.SelectMany(r => new[] { (r.Original, r.OriginalErrorPercent), (r.Model, r.PreActErrorPercent) })
            .ToDictionary(p => p.Item1, p => p.Item2);

    /// <summary>
    /// The pre-activation paper's CIFAR-10 rows beside ours: per depth the paper's original → pre-activation test error
    /// and parameters, and ours where we trained that pair (our parameters are measured from the modules).
    /// </summary>
    public static DataFrame Table(IReadOnlyList<FinalResult> original, IReadOnlyList<FinalResult> preActivation)
    {
        var rows = IdentityMappingsNumbers.Cifar10;
        FinalResult? Ours(IReadOnlyList<FinalResult> runs, string model) => runs.FirstOrDefault(r => r.Model == model);
        return new DataFrame(
            new StringDataFrameColumn("depth", rows.Select(r => r.Depth.ToString(System.Globalization.CultureInfo.InvariantCulture))),
            new StringDataFrameColumn("paper: original → pre-act test error (%)", rows.Select(r => $"{r.OriginalErrorPercent:0.00} → {r.PreActErrorPercent:0.00}")),
            new DoubleDataFrameColumn("paper parameters (M)", rows.Select(r => r.ParamsMillions)),
            new DoubleDataFrameColumn("our pre-act conv + fc weights (M)", rows.Select(r => Math.Round(WeightCount(r.Model) / 1e6, 2))),
            new StringDataFrameColumn("ours: original → pre-act test error (%)", rows.Select(r =>
                Ours(original, r.Original) is { } o && Ours(preActivation, r.Model) is { } p ? $"{o.TestErrorPercent:0.00} → {p.TestErrorPercent:0.00}" : "not trained here")),
            new StringDataFrameColumn("our iterations", rows.Select(r => Ours(preActivation, r.Model)?.Iterations.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) ?? "—")));
    }
}

public static partial class Findings
{
    /// <summary>Notebook 10: each original net against its pre-activation twin (paired by the paper's table), and the 1001-layer estimate.</summary>
    public static PreActivationFacts PreActivation(IReadOnlyList<FinalResult> original, IReadOnlyList<FinalResult> preActivation, DurationEstimate preAct1001)
    {
        var pairs = new List<PreActivationPair>();
        foreach (var p in preActivation)
        {
            var row = IdentityMappingsNumbers.Cifar10.FirstOrDefault(r => r.Model == p.Model);
            var o = original.FirstOrDefault(r => r.Model == row?.Original && r.Seed == p.Seed);
            if (o is null) continue;
            var noise = StandardError((o.TestErrorPercent + p.TestErrorPercent) / 2, Math.Min(o.EvalImages, p.EvalImages));
            var diff = p.TestErrorPercent - o.TestErrorPercent;
            pairs.Add(new PreActivationPair(o, p, diff, p.TrainErrorPercent - o.TrainErrorPercent, noise, Math.Abs(diff) < NoiseMultiple * noise, row));
        }
        var paperSchedule = pairs.Count > 0 && pairs.All(x => x.Original.Iterations == TrainingRecipe.Paper.Iterations && x.PreActivation.Iterations == TrainingRecipe.Paper.Iterations);
        return new PreActivationFacts(pairs.OrderBy(x => x.Original.Depth).ToList(), paperSchedule, preAct1001.Seconds / 3600, preAct1001.Basis);
    }
}
