using ResNetLab.Models;
using ResNetLab.Training;

namespace ResNetLab.Analysis;

/// <summary>
/// Notebook 02: this project's committed runs of the paper's recipe (<see cref="ReferenceRuns"/>), the shallow and the
/// deep net of one kind compared at the longest schedule both were trained to — Fig. 6's verdicts from curves longer than
/// a lesson trains.
/// </summary>
/// <param name="Kind">"plain" or "ResNet".</param>
/// <param name="Iterations">The schedule both runs trained: the longest one committed for both depths.</param>
/// <param name="Shallow">The shallow net's run: its final errors, labelled with its schedule, seed, threads, precision and data.</param>
/// <param name="Deep">The deep net's run.</param>
/// <param name="DeepAhead">The deeper net ended with the lower training error (the paper: no for plain nets, yes for ResNets).</param>
/// <param name="DeepMinusShallowPoints">The deep net's final training error minus the shallow one's (points; negative: the deep net is ahead).</param>
/// <param name="DeepBehindAt">Evaluation points (of <see cref="SharedPoints"/>) where the deeper net had the higher training error.</param>
/// <param name="SharedPoints">Evaluation points both runs share.</param>
/// <param name="DeepAheadFrom">The iteration from which the deeper net had the lower training error at every later shared evaluation
/// (where depth starts to pay); null when it was not ahead at the last one.</param>
/// <param name="LongerUnpaired">Longer schedules committed for only one of the two depths (e.g. "12,800 it: plain20"), or none.</param>
public sealed record LongRunFacts(string Kind, int Iterations, FinalResult Shallow, FinalResult Deep, bool DeepAhead, double DeepMinusShallowPoints,
                                  int DeepBehindAt, int SharedPoints, int? DeepAheadFrom, string LongerUnpaired);

public static partial class Findings
{
    /// <summary>
    /// For each kind (the plain models, then the residual ones — the student's runs name them), the shallowest and deepest
    /// model's committed paper-recipe records (paper init, every departure refused) at the longest schedule both have; fp32
    /// preferred over bf16, then the lowest seed. A kind with no such pair is left out; an empty list when nothing is committed.
    /// </summary>
    public static IReadOnlyList<LongRunFacts> LongRuns(IReadOnlyList<RunResult> references, IEnumerable<string> plainModels, IEnumerable<string> residualModels) =>
        new[] { ("plain", plainModels.ToList()), ("ResNet", residualModels.ToList()) }
            .Select(k => LongRun(references, k.Item1, k.Item2)).OfType<LongRunFacts>().ToList();

    static LongRunFacts? LongRun(IReadOnlyList<RunResult> references, string kind, IReadOnlyList<string> models)
    {
        if (models.Count < 2) return null;
        var byDepth = models.Select(m => m.ToLowerInvariant()).Distinct().OrderBy(m => ModelZoo.Spec(m).Depth).ToList();
        var (shallow, deep) = (byDepth[0], byDepth[^1]);
        if (shallow == deep) return null;
        var runs = references.Where(r => ReferenceRuns.IsPaperRecipe(r.Record.Config)).ToList();
        IEnumerable<RunResult> Of(string model) => runs.Where(r => string.Equals(r.Record.Config.Model, model, StringComparison.OrdinalIgnoreCase));
        var shared = Of(shallow).Select(r => r.Record.Config.Budget.Iterations).Intersect(Of(deep).Select(r => r.Record.Config.Budget.Iterations)).ToList();
        if (shared.Count == 0) return null;
        var iterations = shared.Max();
        RunResult Pick(string model) => Of(model).Where(r => r.Record.Config.Budget.Iterations == iterations)
            .OrderBy(r => r.Record.Config.Precision == Precision.Fp32 ? 0 : 1).ThenBy(r => r.Record.Seed).First();
        var pair = new List<RunResult> { Pick(shallow), Pick(deep) };
        var finals = RunAnalysis.Finals(pair);
        var (s, d) = (finals[0] with { Label = RunAnalysis.ReferenceLabel(pair[0]) }, finals[1] with { Label = RunAnalysis.ReferenceLabel(pair[1]) });
        var curves = RunAnalysis.ReferenceCurves(pair);
        var (behind, sharedPoints) = CurveAgreement(curves, s.Label, d.Label);   // the same count as Degradation's
        var longer = new[] { shallow, deep }
            .SelectMany(m => Of(m).Select(r => r.Record.Config.Budget.Iterations).Where(i => i > iterations).Distinct().Select(i => (Model: m, Iterations: i)))
            .OrderBy(x => x.Iterations).Select(x => $"{x.Iterations:N0} it: {x.Model}").ToList();
        return new LongRunFacts(kind, iterations, s, d, DeepAhead: d.TrainErrorPercent < s.TrainErrorPercent,
            DeepMinusShallowPoints: d.TrainErrorPercent - s.TrainErrorPercent,
            DeepBehindAt: behind ?? 0, SharedPoints: sharedPoints ?? 0, DeepAheadFrom: AheadFrom(curves[0], curves[1]),   // ReferenceCurves keeps the pair's order
            LongerUnpaired: longer.Count == 0 ? "none" : string.Join("; ", longer));
    }

    /// <summary>
    /// Where the deeper net overtakes for good: the first of the evaluation points both curves share from which
    /// <paramref name="deep"/>'s training error is below <paramref name="shallow"/>'s at every later shared point (ties
    /// count as not ahead); null when it is not ahead at the last shared point, or none is shared.
    /// </summary>
    public static int? AheadFrom(ErrorCurve shallow, ErrorCurve deep)
    {
        int? from = null;
        foreach (var (iteration, shallowError, deepError) in SharedTrainErrors(shallow, deep))
            from = deepError < shallowError ? from ?? (int)iteration : null;
        return from;
    }
}
