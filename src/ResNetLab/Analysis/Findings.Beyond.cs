using ResNetLab.Runtime;

namespace ResNetLab.Analysis;

/// <summary>Notebook 07, single-block deletions of one net (Veit et al. Fig. 3).</summary>
/// <param name="Label">The net.</param>
/// <param name="Residual">ResNet (true) or plain twin.</param>
/// <param name="IntactPercent">Its error with nothing deleted.</param>
/// <param name="MedianPercent">Median error over the single-block deletions.</param>
/// <param name="WorstPercent">The largest error after deleting one block.</param>
/// <param name="WorstBlock">The block whose deletion hurt most.</param>
/// <param name="WorstChangesShape">That block halves the map (its shortcut subsamples and zero-pads).</param>
/// <param name="NearChance">How many deletions left the net within <see cref="Findings.NearChancePoints"/> points of chance (≥ 80 % on ten classes).</param>
/// <param name="Blocks">How many blocks were deleted in turn.</param>
public sealed record SingleLesionFacts(string Label, bool Residual, double IntactPercent, double MedianPercent, double WorstPercent,
                                       string WorstBlock, bool WorstChangesShape, int NearChance, int Blocks)
{
    /// <summary>Median rise in error from deleting one block (points).</summary>
    public double MedianRisePoints => MedianPercent - IntactPercent;
}

/// <summary>Notebook 07: what the lesions and the path view showed.</summary>
/// <param name="ResNet">The ResNet's single deletions.</param>
/// <param name="Plain">The plain net's single deletions.</param>
/// <param name="ResNetSurvives">The ResNet's median single deletion cost less than <see cref="Findings.SurvivalShareOfWayToChance"/> of the way from its intact error to chance (90 %).</param>
/// <param name="PlainCollapses">The plain net's median single deletion is within <see cref="Findings.NearChancePoints"/> points of chance (≥ 80 %).</param>
/// <param name="RandomLargestK">The largest number of blocks deleted at random.</param>
/// <param name="RandomErrorAtLargestK">Mean error with that many blocks deleted.</param>
/// <param name="RandomLargestStepPoints">Largest rise in mean error between consecutive k (points).</param>
/// <param name="RandomSmooth">No single step of k carries more than <see cref="Findings.SmoothLargestStepShare"/> of the total rise (Fig. 5a's "smooth").</param>
/// <param name="Blocks">n, the ResNet's blocks.</param>
/// <param name="MeanPathLength">Mean length of all 2ⁿ paths (n / 2).</param>
/// <param name="EffectiveMeanLength">Mean path length weighted by the gradient each length carries (Fig. 6c).</param>
/// <param name="EffectiveFrom">Shortest length of the central range holding <see cref="Findings.EffectiveGradientShare"/> of the gradient.</param>
/// <param name="EffectiveTo">Longest length of that range.</param>
/// <param name="DecayPerBlock">Factor by which one path's gradient changes per extra residual branch (a least-squares fit of log ‖∂L/∂x‖ on k).</param>
public sealed record LesionFacts(SingleLesionFacts ResNet, SingleLesionFacts Plain, bool ResNetSurvives, bool PlainCollapses,
                                 int RandomLargestK, double RandomErrorAtLargestK, double RandomLargestStepPoints, bool RandomSmooth,
                                 int Blocks, double MeanPathLength, double EffectiveMeanLength, int EffectiveFrom, int EffectiveTo, double DecayPerBlock)
{
    /// <summary>
    /// Both nets are trained well enough for deletions to show anything: intact errors at least
    /// <see cref="Findings.MeasurableMarginPoints"/> points below chance
    /// (a net already at chance can neither survive nor collapse).
    /// </summary>
    public bool Measurable => ResNet.IntactPercent <= Findings.ChancePercent - Findings.MeasurableMarginPoints &&
                              Plain.IntactPercent <= Findings.ChancePercent - Findings.MeasurableMarginPoints;

    /// <summary>The gradient-weighted paths are shorter than paths are on average: "effective paths are short".</summary>
    public bool EffectivePathsShorter => EffectiveMeanLength < MeanPathLength;

    /// <summary>Veit et al.'s ResNet-110 (54 blocks): most gradient from paths 5–17 modules long ("10-34 layers deep").</summary>
    public static (int Blocks, int From, int To) Paper => (54, 5, 17);
}

/// <summary>Notebook 09: one net's slice, reduced to the measures of roughness.</summary>
/// <param name="Label">The net.</param>
/// <param name="CentreLoss">Loss at the trained weights (the plane's centre).</param>
/// <param name="MinLoss">Smallest loss on the plane.</param>
/// <param name="MaxLoss">Largest loss on the plane.</param>
/// <param name="NonConvexFraction">Share of interior grid points where the slice curves down in some direction (λmin &lt; 0).</param>
/// <param name="MeanRatio">Mean |λmin/λmax| over the interior points (Li et al.'s convexity map; 0 = convex).</param>
/// <param name="InterpolationRises">Points along α ∈ [0, 1] of the initialisation → trained line where the loss went up instead of down
/// (null without that line: a reference net's initial weights are unknown).</param>
/// <param name="InitialLoss">Loss at the initial weights (α = 0 of that line; null without it).</param>
/// <param name="TrainedLoss">The trained net's loss measured on its own (null when not given): the plane's centre must equal it.</param>
public sealed record SliceFacts(string Label, double CentreLoss, double MinLoss, double MaxLoss, double NonConvexFraction, double MeanRatio,
                                int? InterpolationRises, double? InitialLoss, double? TrainedLoss = null)
{
    /// <summary>Largest − smallest loss on the plane.</summary>
    public double Range => MaxLoss - MinLoss;

    /// <summary>The plane's centre is the trained weights: its loss equals the trained loss (a check of the slicing; null without it).</summary>
    public bool? CentreIsTrained => TrainedLoss is { } t ? Math.Abs(CentreLoss - t) < 1e-9 : null;
}

/// <summary>Notebook 09: plain-56's slice against ResNet-56's.</summary>
/// <param name="Plain">The plain net.</param>
/// <param name="Residual">The ResNet.</param>
/// <param name="RougherByRange">The plain net's loss spans more on the same plane size.</param>
/// <param name="RougherByCurvature">The plain net's mean |λmin/λmax| is the larger.</param>
public sealed record LandscapeFacts(SliceFacts Plain, SliceFacts Residual, bool RougherByRange, bool RougherByCurvature);

public static partial class Findings
{
    /// <summary>Chance error on ten classes (percent): where a destroyed CIFAR-10 net ends.</summary>
    public const double ChancePercent = 90;

    /// <summary>
    /// Notebook 07: a deletion is "near chance" when it leaves the net within this many points of <see cref="ChancePercent"/>
    /// (80 % or more on ten classes); a plain net collapses when its median single deletion is near chance.
    /// </summary>
    public const double NearChancePoints = 10;

    /// <summary>
    /// Notebook 07: a ResNet survives single deletions when the median deletion raises its error by less than this share
    /// of the way from its intact error to chance ("less than a quarter of the way to chance").
    /// </summary>
    public const double SurvivalShareOfWayToChance = 0.25;

    /// <summary>
    /// Notebook 07: deletions say something only when both nets are at least this many points better than chance intact
    /// (a net already at chance can neither survive nor collapse).
    /// </summary>
    public const double MeasurableMarginPoints = 20;

    /// <summary>
    /// Notebook 07: the error rises smoothly with k random deletions when no single step of k carries more than this share
    /// of the whole rise (Veit et al. Fig. 5a; one step carrying most of it would be a chain breaking, not an ensemble thinning).
    /// </summary>
    public const double SmoothLargestStepShare = 0.5;

    /// <summary>Notebook 07: the "effective" path lengths are the central range of lengths carrying this share of the gradient.</summary>
    public const double EffectiveGradientShare = 0.90;

    /// <summary>One net's single deletions as facts.</summary>
    public static SingleLesionFacts SingleLesions(LesionSeries s)
    {
        if (s.Deletions.Count == 0) throw new ArgumentException($"{s.Label}: no deletions measured");
        var worst = s.Deletions.MaxBy(d => d.ErrorPercent)!;
        return new SingleLesionFacts(s.Label, s.Residual, s.IntactErrorPercent, Stats.Median(s.Deletions.Select(d => d.ErrorPercent)), worst.ErrorPercent,
            worst.Block, worst.ChangesShape, s.Deletions.Count(d => d.ErrorPercent >= ChancePercent - NearChancePoints), s.Deletions.Count);
    }

    /// <summary>Notebook 07's facts: single deletions of both nets, the random deletions and the path profile of the ResNet.</summary>
    public static LesionFacts Lesions(IReadOnlyList<LesionSeries> single, RandomLesionSeries random, PathProfile paths)
    {
        var resnet = SingleLesions(single.First(s => s.Residual));
        var plain = SingleLesions(single.First(s => !s.Residual));
        var means = new[] { random.IntactErrorPercent }.Concat(random.Points.Select(p => p.MeanPercent)).ToArray();
        var steps = means.Zip(means.Skip(1), (a, b) => b - a).ToArray();
        var rise = means[^1] - means[0];
        var largestStep = steps.DefaultIfEmpty(0).Max();

        var sampled = paths.Lengths.Where(l => l.GradientNorm is > 0).ToList();
        var total = sampled.Sum(l => l.Contribution!.Value);
        var effectiveMean = total > 0 ? sampled.Sum(l => l.Length * l.Contribution!.Value) / total : double.NaN;
        var (from, to) = CentralRange(sampled.Select(l => (l.Length, l.Contribution!.Value)).ToList(), EffectiveGradientShare);
        // least squares of log gradient on k: the per-block decay factor
        double decay = double.NaN;
        if (sampled.Count >= 2)
        {
            var xs = sampled.Select(l => (double)l.Length).ToArray();
            var ys = sampled.Select(l => Math.Log(l.GradientNorm!.Value)).ToArray();
            var (mx, my) = (xs.Average(), ys.Average());
            var slope = xs.Zip(ys, (x, y) => (x - mx) * (y - my)).Sum() / xs.Sum(x => (x - mx) * (x - mx));
            decay = Math.Exp(slope);
        }
        return new LesionFacts(resnet, plain,
            ResNetSurvives: resnet.MedianRisePoints < (ChancePercent - resnet.IntactPercent) * SurvivalShareOfWayToChance,
            PlainCollapses: plain.MedianPercent >= ChancePercent - NearChancePoints,
            RandomLargestK: random.Points.Count == 0 ? 0 : random.Points[^1].Deleted, RandomErrorAtLargestK: means[^1],
            RandomLargestStepPoints: largestStep, RandomSmooth: rise <= 0 || largestStep <= rise * SmoothLargestStepShare,
            paths.Blocks, paths.Blocks / 2.0, effectiveMean, from, to, decay);
    }

    /// <summary>The lengths between the (1 − share)/2 and (1 + share)/2 quantiles of a distribution over lengths.</summary>
    static (int From, int To) CentralRange(IReadOnlyList<(int Length, double Weight)> weights, double share)
    {
        var total = weights.Sum(w => w.Weight);
        if (weights.Count == 0 || total <= 0) return (0, 0);
        double cumulative = 0;
        int? from = null;
        var to = weights[^1].Length;
        foreach (var (length, weight) in weights.OrderBy(w => w.Length))
        {
            cumulative += weight / total;
            if (from is null && cumulative >= (1 - share) / 2) from = length;
            if (cumulative >= (1 + share) / 2) { to = length; break; }
        }
        return (from ?? weights[0].Length, to);
    }

    /// <summary>One net's slice as facts (plane, and the interpolation line where there is one).</summary>
    public static SliceFacts Slice(LossSurface plane, IReadOnlyList<IReadOnlyList<double>> ratios, LossLine? interpolation)
    {
        var all = plane.Loss.SelectMany(r => r).ToArray();
        var centre = plane.Loss[plane.Beta.Count / 2][plane.Alpha.Count / 2];
        var interior = ratios.SelectMany(r => r).ToArray();
        int? rises = null;
        double? initial = null;
        if (interpolation is not null)
        {
            var unit = interpolation.Alpha.Select((a, i) => (a, i)).Where(p => p.a >= -1e-9 && p.a <= 1 + 1e-9).Select(p => interpolation.Loss[p.i]).ToArray();
            rises = unit.Zip(unit.Skip(1), (a, b) => b > a ? 1 : 0).Sum();
            initial = interpolation.Loss[interpolation.Alpha.Select((a, i) => (a, i)).MinBy(p => Math.Abs(p.a)).i];
        }
        return new SliceFacts(plane.Label, centre, all.Min(), all.Max(), interior.Count(r => r > 0) / (double)interior.Length,
            interior.Average(), rises, initial);
    }

    /// <summary>One net's slice as facts, with the check that the plane's centre is the trained net.</summary>
    public static SliceFacts Slice(LandscapeResult result) =>
        Slice(result.Plane.Surface, result.Plane.Ratios, result.Interpolation) with { TrainedLoss = result.TrainedLoss };

    /// <summary>Notebook 09's facts: is the plain net's slice rougher than the ResNet's, by loss range and by curvature.</summary>
    public static LandscapeFacts Landscape(SliceFacts plain, SliceFacts residual) =>
        new(plain, residual, plain.Range > residual.Range, plain.MeanRatio > residual.MeanRatio);
}
