using ResNetLab.Models;
using ResNetLab.Paper;

namespace ResNetLab.Analysis;

/// <summary>Notebook 01: how many built networks have the paper's sizes (Table 6 parameters, Table 1 multiply-adds).</summary>
public sealed record ModelSizeFacts(int CifarMatching, int CifarTotal, Comparison ResNet56, int ImageNetMatching, int ImageNetTotal, Comparison ResNet152);

/// <summary>Notebook 02: the shallowest and deepest net of each kind, and whether the paper's two claims showed.</summary>
/// <param name="GapPoints">Training error of the deep plain net minus its residual twin (points; positive: residual better).</param>
/// <param name="DeepPlainWorseAt">Evaluation points (of <see cref="SharedPoints"/>) where the deeper plain net had the higher training error; null without curves.</param>
/// <param name="PaperTestError">Table 6's test error for the deep ResNet, when the paper has that depth.</param>
/// <param name="Iterations">Iterations every run of the comparison trained (the budget's schedule).</param>
/// <param name="ShallowPlain">The shallowest plain net (plain-20), Fig. 6 left.</param>
/// <param name="DeepPlain">The deepest plain net of the budget (plain-56 at quick, the deepest of Fig. 6 at full).</param>
/// <param name="ShallowResidual">ResNet of the shallowest depth, plain-20's twin.</param>
/// <param name="DeepResidual">ResNet of the deepest depth, the deep plain net's twin.</param>
/// <param name="PlainDegrades">The degradation problem (§4.1) showed: the deeper plain net has the higher training error.</param>
/// <param name="ResidualImproves">The residual claim showed: the deeper ResNet has the lower training error.</param>
/// <param name="DeepPlainTestNoise">Sampling noise of the deep plain net's test error (points), from its evaluation-set size.</param>
/// <param name="SharedPoints">Evaluation points both plain nets share; null without curves.</param>
public sealed record DegradationFacts(int Iterations, FinalResult ShallowPlain, FinalResult DeepPlain, FinalResult ShallowResidual,
                                      FinalResult DeepResidual, bool PlainDegrades, bool ResidualImproves, double GapPoints,
                                      double DeepPlainTestNoise, double? PaperTestError, int? DeepPlainWorseAt, int? SharedPoints);

/// <summary>
/// Notebook 02 at the depth budget: the same ResNets started at zero (γ = 0 in each branch's last BN) and with the
/// paper's init, by training error — does the deep net overtake the shallow one, and which init does it take?
/// </summary>
/// <param name="Iterations">Iterations every run trained.</param>
/// <param name="ShallowZeroInit">The shallowest ResNet, zero-init.</param>
/// <param name="DeepZeroInit">The deepest ResNet, zero-init.</param>
/// <param name="ShallowPaperInit">The shallowest ResNet, the paper's init.</param>
/// <param name="DeepPaperInit">The deepest ResNet, the paper's init.</param>
/// <param name="ZeroInitDeepAhead">Zero-init: the deeper ResNet ended with the lower training error.</param>
/// <param name="PaperInitDeepAhead">The paper's init: the deeper ResNet ended with the lower training error.</param>
/// <param name="DeepGainPoints">The deep ResNet's training error with the paper's init minus zero-init (points; positive: zero-init helped).</param>
/// <param name="ShallowGainPoints">The same for the shallow ResNet: the deep net gaining more is the point (deep nets start slow).</param>
public sealed record InitFacts(int Iterations, FinalResult ShallowZeroInit, FinalResult DeepZeroInit, FinalResult ShallowPaperInit,
                               FinalResult DeepPaperInit, bool ZeroInitDeepAhead, bool PaperInitDeepAhead, double DeepGainPoints, double ShallowGainPoints);

/// <summary>Notebook 03: one network's options A/B/C, their spread and what B and C cost over A.</summary>
public sealed record ShortcutOptionFacts(string Model, IReadOnlyList<FinalResult> Runs, double SpreadPoints, double NoisePoints,
                                         bool WithinNoise, int EvalImages, IReadOnlyList<AddedParameters> OverA);

/// <summary>Parameters a shortcut option adds over option A.</summary>
public sealed record AddedParameters(ShortcutOption Option, long Parameters);

/// <summary>Notebook 04: a basic and a bottleneck net at similar cost.</summary>
/// <param name="DifferencePoints">Bottleneck minus basic test error (points).</param>
/// <param name="Basic">The basic-block net (two 3×3 layers, Fig. 5 left).</param>
/// <param name="Bottleneck">The bottleneck net of similar cost (Fig. 5 right).</param>
/// <param name="NoisePoints">Sampling noise of a test error at this evaluation-set size (points).</param>
/// <param name="WithinNoise">The difference is less than <see cref="Findings.NoiseMultiple"/> times that noise: no winner can be called.</param>
public sealed record BottleneckFacts(FinalResult Basic, FinalResult Bottleneck, double DifferencePoints, double NoisePoints, bool WithinNoise);

/// <summary>Notebook 05: ResNet-110's warm-up and result; ResNet-1202 and the paper's overfitting remark.</summary>
/// <param name="NeverSawFullRate">The warm-up ended at or after the first ÷10, so this schedule never trained at 0.1.</param>
/// <param name="Comparable">ResNet-1202 ran at least as many iterations as ResNet-110 (else its curves cannot judge overfitting).</param>
/// <param name="OverfitsLikeThePaper">Lower-or-equal training error, higher test error and a larger gap than ResNet-110.</param>
/// <param name="ResNet110">ResNet-110 (the first seed when several ran; Table 6 reports mean ± std of five).</param>
/// <param name="Seeds">How many ResNet-110 seeds the plan trained.</param>
/// <param name="WarmupEndedAt">Iteration at which ResNet-110's warm-up (lr 0.01 until training error &lt; 80%, §4.2) ended; null if it never did.</param>
/// <param name="ResNet1202">ResNet-1202, null when the plan did not reach it.</param>
/// <param name="RampIterations">The short schedule's gradual warm-up (<see cref="Training.WarmupRule.For"/>): the rate climbed from 0.01 to 0.1 over this many iterations; null for §4.2's switch.</param>
public sealed record VeryDeepFacts(FinalResult ResNet110, int Seeds, int? WarmupEndedAt, bool NeverSawFullRate,
                                   FinalResult? ResNet1202, bool Comparable, bool OverfitsLikeThePaper, int? RampIterations = null);

/// <summary>Notebook 06: mean response std of plain vs residual twins, and of ResNets by depth.</summary>
public sealed record LayerResponseFacts(IReadOnlyList<ResponsePair> Pairs, IReadOnlyList<ResponseByDepth> ResNetsByDepth, bool DeeperIsSmaller);

/// <summary>Mean std of the 3×3 responses of a plain net and its residual twin.</summary>
public sealed record ResponsePair(int Depth, double Plain, double Residual)
{
    /// <summary>The residual net's responses are the smaller (Fig. 7: "ResNets have generally smaller responses").</summary>
    public bool ResidualSmaller => Residual < Plain;
}

/// <summary>Mean std of a ResNet's 3×3 responses at one depth (Fig. 7 bottom: deeper ResNets respond less).</summary>
/// <param name="Depth">Layers of the ResNet (20, 56, 110).</param>
/// <param name="Mean">Mean over its 3×3 layers of the response std.</param>
public sealed record ResponseByDepth(int Depth, double Mean);

/// <summary>
/// What each notebook's "What we saw" says, computed from the results (never typed-in numbers) as small records of
/// facts, which the notebooks print as tables (<c>Lab.Facts</c>). The words — what each number means and the rule of each
/// verdict — live in the notebooks' markdown, where a student or instructor can read and edit them.
/// </summary>
public static partial class Findings
{
    // The rules of the verdicts. Each is stated once here and in words in the notebook that reads it (a test holds the
    // words to these values): change a rule here and the notebook's sentence must change with it.

    /// <summary>
    /// Two test errors differ for real only when the difference is at least this many ±1 standard errors
    /// (<see cref="StandardError"/>) of the test set: "within twice the noise" in notebooks 03, 04 and 10. One seed per
    /// net adds seed-to-seed variation this bound leaves out, so "outside" is necessary, not sufficient.
    /// </summary>
    public const double NoiseMultiple = 2;

    /// <summary>±1 binomial standard error (percentage points) of an error rate measured on n images.</summary>
    public static double StandardError(double errorPercent, int images) =>
        images <= 0 ? double.NaN : 100 * Math.Sqrt(errorPercent / 100 * (1 - errorPercent / 100) / images);

    /// <summary>Notebook 01: do the built networks have the paper's sizes (rounded as the paper rounds)?</summary>
    public static ModelSizeFacts ModelSizes()
    {
        var cifar = PaperTables.CifarParametersComparison();
        var cifarOk = cifar.Count(c => c.Paper is { } p && Math.Abs(Math.Round(c.Ours, p < 1 ? 2 : 1) - p) < 1e-9);
        var imagenet = PaperTables.ImageNetMultiplyAddsComparison().Where(c => !double.IsNaN(c.Ours) && c.Paper is not null).ToList();
        var imagenetOk = imagenet.Count(c => PaperRounding.Matches(c.Ours, c.Paper!.Value));
        return new ModelSizeFacts(cifarOk, cifar.Count, cifar.Single(c => c.Label == "resnet56"),
                                  imagenetOk, imagenet.Count, imagenet.Single(c => c.Label == "resnet152"));
    }

    /// <summary>
    /// Zero-init vs the paper's init for the same ResNets (notebook 02 at the depth budget), shallowest and deepest of
    /// each; null unless both lists hold two depths, each list one init.
    /// </summary>
    public static InitFacts? InitComparison(IReadOnlyList<FinalResult> zeroInit, IReadOnlyList<FinalResult> paperInit)
    {
        if (zeroInit.Count < 2 || paperInit.Count < 2) return null;
        if (zeroInit.Any(f => !f.ZeroInitResidual) || paperInit.Any(f => f.ZeroInitResidual))
            throw new ArgumentException("InitComparison takes the zero-init ResNets first and the paper's-init ones second");
        var (zs, zd) = (zeroInit.MinBy(f => f.Depth)!, zeroInit.MaxBy(f => f.Depth)!);
        var (ps, pd) = (paperInit.MinBy(f => f.Depth)!, paperInit.MaxBy(f => f.Depth)!);
        return new InitFacts(zeroInit.Concat(paperInit).Max(f => f.Iterations), zs, zd, ps, pd,
            ZeroInitDeepAhead: zd.TrainErrorPercent < zs.TrainErrorPercent, PaperInitDeepAhead: pd.TrainErrorPercent < ps.TrainErrorPercent,
            DeepGainPoints: pd.TrainErrorPercent - zd.TrainErrorPercent, ShallowGainPoints: ps.TrainErrorPercent - zs.TrainErrorPercent);
    }

    /// <summary>Notebook 02: did the deeper plain net train worse, and the deeper ResNet better? Null with fewer than two depths of each.</summary>
    public static DegradationFacts? Degradation(IReadOnlyList<FinalResult> plain, IReadOnlyList<FinalResult> residual,
                                                IReadOnlyList<ErrorCurve>? plainCurves = null)
    {
        if (plain.Count < 2 || residual.Count < 2) return null;
        var (ps, pd) = (plain.MinBy(f => f.Depth)!, plain.MaxBy(f => f.Depth)!);
        var (rs, rd) = (residual.MinBy(f => f.Depth)!, residual.MaxBy(f => f.Depth)!);
        var (worse, shared) = CurveAgreement(plainCurves, ps.Label, pd.Label);
        return new DegradationFacts(plain.Concat(residual).Max(f => f.Iterations), ps, pd, rs, rd,
            PlainDegrades: pd.TrainErrorPercent > ps.TrainErrorPercent, ResidualImproves: rd.TrainErrorPercent < rs.TrainErrorPercent,
            GapPoints: pd.TrainErrorPercent - rd.TrainErrorPercent, DeepPlainTestNoise: StandardError(pd.TestErrorPercent, pd.EvalImages),
            PaperTestError: PaperNumbers.Table6.FirstOrDefault(t => t.Depth == rd.Depth)?.TestErrorPercent, worse, shared);
    }

    /// <summary>
    /// One final number is one noisy sample; the whole curve says more: at how many of the evaluation points both runs
    /// share did the deeper net have the higher training error.
    /// </summary>
    static (int? Worse, int? Shared) CurveAgreement(IReadOnlyList<ErrorCurve>? curves, string shallow, string deep)
    {
        var a = curves?.FirstOrDefault(c => c.Label == shallow);
        var b = curves?.FirstOrDefault(c => c.Label == deep);
        if (a is null || b is null) return (null, null);
        var shared = SharedTrainErrors(a, b);
        return shared.Count == 0 ? (null, null) : (shared.Count(p => p.Deep > p.Shallow), shared.Count);
    }

    /// <summary>The training errors of two curves at the evaluation points both have, in iteration order.</summary>
    static List<(double Iteration, double Shallow, double Deep)> SharedTrainErrors(ErrorCurve shallow, ErrorCurve deep)
    {
        var deepAt = deep.Iterations.Zip(deep.TrainErrorPercent).ToDictionary(p => p.First, p => p.Second);
        return shallow.Iterations.Zip(shallow.TrainErrorPercent).Where(p => deepAt.ContainsKey(p.First))
            .Select(p => (p.First, p.Second, deepAt[p.First])).OrderBy(p => p.First).ToList();
    }

    /// <summary>Notebook 03: options A/B/C per network — errors against what they cost and the noise of the measurement.</summary>
    public static IReadOnlyList<ShortcutOptionFacts> ShortcutOptions(IReadOnlyList<FinalResult> runs) =>
        runs.GroupBy(r => r.Model).Select(g =>
        {
            var list = g.ToList();
            var a = list.FirstOrDefault(r => r.Shortcut == ShortcutOption.A);
            var spread = list.Max(r => r.TestErrorPercent) - list.Min(r => r.TestErrorPercent);
            var noise = StandardError(list.Average(r => r.TestErrorPercent), list[0].EvalImages);
            var added = a is null ? [] : list.Where(r => r.Shortcut is { } o && o != ShortcutOption.A)
                                             .Select(r => new AddedParameters(r.Shortcut!.Value, r.Parameters - a.Parameters)).ToList();
            return new ShortcutOptionFacts(g.Key, list, spread, noise, spread < NoiseMultiple * noise, list[0].EvalImages, added);
        }).ToList();

    /// <summary>Notebook 04: basic vs bottleneck at similar cost; null unless both kinds ran.</summary>
    public static BottleneckFacts? Bottleneck(IReadOnlyList<FinalResult> runs)
    {
        var basic = runs.FirstOrDefault(r => r.Block == BlockKind.Basic);
        var bottleneck = runs.FirstOrDefault(r => r.Block == BlockKind.Bottleneck);
        if (basic is null || bottleneck is null) return null;
        var noise = StandardError(basic.TestErrorPercent, basic.EvalImages);
        var diff = bottleneck.TestErrorPercent - basic.TestErrorPercent;
        return new BottleneckFacts(basic, bottleneck, diff, noise, Math.Abs(diff) < NoiseMultiple * noise);
    }

    /// <summary>Notebook 05: warm-up, and whether 1202 layers overfit (judged from our own curves); null without a ResNet-110 run.</summary>
    public static VeryDeepFacts? VeryDeep(IReadOnlyList<FinalResult> r110, IReadOnlyList<FinalResult> r1202, int? warmupEndedAt, Training.WarmupRule? warmup = null)
    {
        var a = r110.MinBy(r => r.TestErrorPercent);
        if (a is null) return null;
        var b = r1202.FirstOrDefault();
        var comparable = b is not null && b.Iterations >= a.Iterations;
        var overfits = b is not null && b.TrainErrorPercent <= a.TrainErrorPercent && b.TestErrorPercent > a.TestErrorPercent &&
                       b.TestErrorPercent - b.TrainErrorPercent > a.TestErrorPercent - a.TrainErrorPercent;
        return new VeryDeepFacts(a, r110.Count, warmupEndedAt, warmupEndedAt is { } w && w >= a.Iterations / 2, b, comparable, comparable && overfits,
                                 warmup?.RampIterations);
    }

    /// <summary>Notebook 06: are residual responses smaller than plain ones, and smaller for deeper ResNets?</summary>
    public static LayerResponseFacts LayerResponses(IReadOnlyList<ResponseSeries> series, IReadOnlyList<FinalResult> nets)
    {
        if (series.Count != nets.Count) throw new ArgumentException($"{series.Count} response series for {nets.Count} networks");
        var measured = series.Zip(nets, (s, n) => (Net: n, Mean: s.Std.Average())).ToList();
        var pairs = measured.Where(m => !m.Net.Residual)
            .Select(p => (p, r: measured.FirstOrDefault(m => m.Net.Residual && m.Net.Depth == p.Net.Depth && m.Net.Block == p.Net.Block)))
            .Where(x => x.r.Net is not null)
            .Select(x => new ResponsePair(x.p.Net.Depth, x.p.Mean, x.r.Mean)).OrderBy(p => p.Depth).ToList();
        var resnets = measured.Where(m => m.Net.Residual).Select(m => new ResponseByDepth(m.Net.Depth, m.Mean)).OrderBy(r => r.Depth).ToList();
        var decreasing = resnets.Count >= 2 && resnets.Zip(resnets.Skip(1)).All(p => p.Second.Mean <= p.First.Mean);
        return new LayerResponseFacts(pairs, resnets, decreasing);
    }
}
