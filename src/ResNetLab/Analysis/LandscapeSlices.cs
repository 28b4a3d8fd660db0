using System.Diagnostics;
using ResNetLab.Models;
using ResNetLab.Training;
using static TorchSharp.torch;

namespace ResNetLab.Analysis;

/// <summary>The two eigenvalues of the 2-D Hessian of a loss slice at one grid point (λmin ≤ λmax).</summary>
/// <param name="Min">The smaller eigenvalue.</param>
/// <param name="Max">The larger eigenvalue.</param>
public readonly record struct SliceCurvature(double Min, double Max)
{
    /// <summary>
    /// Li et al.'s |λmin/λmax| on the slice: 0 where it is locally convex (λmin ≥ 0); where it curves down, the
    /// negative curvature relative to the positive one, capped at 1 (where the negative curvature dominates).
    /// </summary>
    public double Ratio => Min >= 0 ? 0 : Max <= 0 ? 1 : Math.Min(1, -Min / Max);
}

/// <summary>The loss on a plane and the measures of its roughness.</summary>
/// <param name="Surface">The loss at every grid point.</param>
/// <param name="Curvature">The 2-D Hessian's eigenvalues at interior points, rows by β and columns by α (one fewer each side).</param>
/// <param name="Seconds">Wall time of the evaluation.</param>
/// <param name="ImagesEvaluated">Grid points × images: the forward passes it cost.</param>
public sealed record PlaneResult(LossSurface Surface, IReadOnlyList<IReadOnlyList<SliceCurvature>> Curvature, double Seconds, long ImagesEvaluated)
{
    /// <summary>|λmin/λmax| at the interior points (the convexity map), rows by β.</summary>
    public IReadOnlyList<IReadOnlyList<double>> Ratios => Curvature.Select(r => (IReadOnlyList<double>)r.Select(c => c.Ratio).ToList()).ToList();
}

/// <summary>How fast and how faithful a bfloat16 evaluation of the same slice points is, beside float32.</summary>
/// <param name="Fp32ImagesPerSecond">Images per second in float32.</param>
/// <param name="Bf16ImagesPerSecond">Images per second with <see cref="Precision.Bf16"/>.</param>
/// <param name="MaxLossDifference">Largest |loss_bf16 − loss_fp32| over the points.</param>
/// <param name="LossSpan">Largest − smallest float32 loss over the points (the scale the difference is judged on).</param>
/// <param name="Points">How many slice points were compared.</param>
public sealed record PrecisionCheck(double Fp32ImagesPerSecond, double Bf16ImagesPerSecond, double MaxLossDifference, double LossSpan, int Points)
{
    /// <summary>bf16 speed over fp32 speed.</summary>
    public double Speedup => Bf16ImagesPerSecond / Fp32ImagesPerSecond;
}

/// <summary>
/// Loss-landscape slices of trained nets (Li et al. 2018; Goodfellow et al. 2015's linear interpolation), evaluated
/// batched, without gradients, in eval mode with the trained BN running statistics unless said otherwise.
/// </summary>
public static class LandscapeSlices
{
    /// <summary><paramref name="points"/> coordinates from −<paramref name="range"/> to +range; an odd count has exactly 0 in the middle.</summary>
    public static double[] Symmetric(int points, double range)
    {
        if (points < 2) throw new ArgumentOutOfRangeException(nameof(points), points, "a slice needs at least two points per axis");
        return Enumerable.Range(0, points).Select(i => range * (2 * i - (points - 1)) / (points - 1)).ToArray();
    }

    /// <summary><paramref name="points"/> coordinates from <paramref name="from"/> to <paramref name="to"/>, evenly spaced.</summary>
    public static double[] Span(int points, double from, double to)
    {
        if (points < 2) throw new ArgumentOutOfRangeException(nameof(points), points, "a line needs at least two points");
        return Enumerable.Range(0, points).Select(i => from + (to - from) * i / (points - 1)).ToArray();
    }

    /// <summary>
    /// Mean cross-entropy and error (percent) of the model as it is on the batches. Eval mode by default; with
    /// <paramref name="batchStatistics"/> BN normalises with each batch's own statistics (training mode, no gradient),
    /// and the running statistics are restored afterwards.
    /// </summary>
    public static (double Loss, double ErrorPercent) Evaluate(ResNetModel model, IReadOnlyList<(Tensor X, Tensor Y)> batches, bool batchStatistics = false)
    {
        var r = Evaluation.Evaluate(model, batches, batchStatistics);
        return (r.Loss, 100 * r.Error);
    }

    /// <summary>
    /// The direction from <paramref name="from"/> to <paramref name="to"/> over every parameter (BN's included):
    /// Goodfellow et al.'s line θ(α) = from + α·(to − from), α = 0 at <paramref name="from"/> and 1 at <paramref name="to"/>.
    /// </summary>
    public static Dictionary<string, Tensor> Between(IReadOnlyDictionary<string, Tensor> from, IReadOnlyDictionary<string, Tensor> to)
    {
        using var _ = no_grad();
        return from.ToDictionary(p => p.Key, p => (to[p.Key] - p.Value).DetachFromDisposeScope());
    }

    /// <summary>The loss along origin + α·direction for each α; the model is returned to the origin afterwards.</summary>
    public static LossLine Line(ResNetModel model, IReadOnlyDictionary<string, Tensor> origin, IReadOnlyDictionary<string, Tensor> direction,
                                IReadOnlyList<double> alphas, IReadOnlyList<(Tensor X, Tensor Y)> batches, string label, string kind,
                                bool batchStatistics = false)
    {
        var loss = new List<double>();
        var error = new List<double>();
        try
        {
            foreach (var a in alphas)
            {
                LossLandscape.MoveTo(model, origin, (a, direction));
                var (l, e) = Evaluate(model, batches, batchStatistics);
                loss.Add(l);
                error.Add(e);
            }
        }
        finally { LossLandscape.MoveTo(model, origin); }
        return new LossLine(label, kind, alphas.ToList(), loss, error);
    }

    /// <summary>
    /// The loss on the plane origin + α·d₁ + β·d₂ at every (α, β) of <paramref name="coordinates"/>², with the 2-D
    /// Hessian's eigenvalues at the interior points; the model is returned to the origin afterwards.
    /// </summary>
    public static PlaneResult Plane(ResNetModel model, IReadOnlyDictionary<string, Tensor> origin, IReadOnlyDictionary<string, Tensor> d1,
                                    IReadOnlyDictionary<string, Tensor> d2, IReadOnlyList<double> coordinates,
                                    IReadOnlyList<(Tensor X, Tensor Y)> batches, string label)
    {
        var watch = Stopwatch.StartNew();
        var rows = new List<IReadOnlyList<double>>();
        try
        {
            foreach (var b in coordinates)
            {
                var row = new List<double>();
                foreach (var a in coordinates)
                {
                    LossLandscape.MoveTo(model, origin, (a, d1), (b, d2));
                    row.Add(Evaluate(model, batches).Loss);
                }
                rows.Add(row);
            }
        }
        finally { LossLandscape.MoveTo(model, origin); }
        var surface = new LossSurface(label, coordinates.ToList(), coordinates.ToList(), rows);
        var images = batches.Sum(b => b.Y.shape[0]);
        return new PlaneResult(surface, Curvature(surface), watch.Elapsed.TotalSeconds, (long)coordinates.Count * coordinates.Count * images);
    }

    /// <summary>
    /// The eigenvalues of the 2-D Hessian at every interior grid point, from central finite differences of the loss
    /// (exact for a quadratic): L_αα, L_ββ from three points on a line, L_αβ from the four diagonal neighbours.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<SliceCurvature>> Curvature(LossSurface s)
    {
        var (x, y, z) = (s.Alpha, s.Beta, s.Loss);
        if (x.Count < 3 || y.Count < 3) throw new ArgumentException("the Hessian needs at least 3×3 grid points");
        var result = new List<IReadOnlyList<SliceCurvature>>();
        for (var j = 1; j < y.Count - 1; j++)
        {
            var row = new List<SliceCurvature>();
            for (var i = 1; i < x.Count - 1; i++)
            {
                var (hx1, hx2) = (x[i] - x[i - 1], x[i + 1] - x[i]);
                var (hy1, hy2) = (y[j] - y[j - 1], y[j + 1] - y[j]);
                // second differences on a possibly uneven grid; the mixed term over the diagonal neighbours
                var lxx = 2 * (hx1 * z[j][i + 1] - (hx1 + hx2) * z[j][i] + hx2 * z[j][i - 1]) / (hx1 * hx2 * (hx1 + hx2));
                var lyy = 2 * (hy1 * z[j + 1][i] - (hy1 + hy2) * z[j][i] + hy2 * z[j - 1][i]) / (hy1 * hy2 * (hy1 + hy2));
                var lxy = (z[j + 1][i + 1] - z[j + 1][i - 1] - z[j - 1][i + 1] + z[j - 1][i - 1]) / ((hx1 + hx2) * (hy1 + hy2));
                var mean = (lxx + lyy) / 2;
                var radius = Math.Sqrt((lxx - lyy) * (lxx - lyy) / 4 + lxy * lxy);
                row.Add(new SliceCurvature(mean - radius, mean + radius));
            }
            result.Add(row);
        }
        return result;
    }

    /// <summary>
    /// Evaluate the same points of a line in float32 and in bfloat16 (<see cref="ResNetModel.Precision"/>), timing each:
    /// whether bf16 is faster here and whether it changes the picture. The model is left in float32 at the origin.
    /// </summary>
    public static PrecisionCheck ComparePrecision(ResNetModel model, IReadOnlyDictionary<string, Tensor> origin, IReadOnlyDictionary<string, Tensor> direction,
                                                  IReadOnlyList<double> alphas, IReadOnlyList<(Tensor X, Tensor Y)> batches)
    {
        var was = model.Precision;
        try
        {
            var images = (double)batches.Sum(b => b.Y.shape[0]) * alphas.Count;
            model.Precision = Precision.Fp32;
            Line(model, origin, direction, alphas.Take(1).ToList(), batches, "", "");   // warm-up: first-call costs out of the timing
            var watch = Stopwatch.StartNew();
            var fp32 = Line(model, origin, direction, alphas, batches, "", "");
            var fp32Seconds = watch.Elapsed.TotalSeconds;
            model.Precision = Precision.Bf16;
            Line(model, origin, direction, alphas.Take(1).ToList(), batches, "", "");
            watch.Restart();
            var bf16 = Line(model, origin, direction, alphas, batches, "", "");
            var bf16Seconds = watch.Elapsed.TotalSeconds;
            var diff = fp32.Loss.Zip(bf16.Loss, (a, b) => Math.Abs(a - b)).Max();
            return new PrecisionCheck(images / fp32Seconds, images / bf16Seconds, diff, fp32.Loss.Max() - fp32.Loss.Min(), alphas.Count);
        }
        finally { model.Precision = was; }
    }
}

/// <summary>Everything notebook 09 measures on one trained net.</summary>
/// <param name="Label">The net.</param>
/// <param name="Interpolation">Loss from the initial weights (α = 0) to the trained ones (α = 1), BN on batch statistics;
/// null for a net whose initial weights are unknown (a reference net).</param>
/// <param name="RandomLine">Loss along one filter-normalised random direction through the trained weights.</param>
/// <param name="Plane">The filter-normalised random plane around the trained weights.</param>
/// <param name="TrainedLoss">The trained net's loss on the same images (the plane's centre must equal it).</param>
public sealed record LandscapeResult(string Label, LossLine? Interpolation, LossLine RandomLine, PlaneResult Plane, double TrainedLoss);

/// <summary>The loss-landscape measurements over trained nets (notebook 09).</summary>
public static class LandscapeStudy
{
    /// <summary>The first snapshot of a run (iteration 0: its initial weights), or an error naming the folder.</summary>
    public static string InitialSnapshot(RunResult run) =>
        run.RunFolder.ListSnapshots().FirstOrDefault(s => s.Iteration == 0).Path
        ?? throw new FileNotFoundException($"{run.Folder} has no snapshot of its initial weights (snapshots/{Snapshots.FileName(0)}); runs trained since version 0.4.0 keep one — delete the run folder to retrain it");

    /// <summary>
    /// Measure one net on its first <paramref name="images"/> training images (no augmentation): the interpolation
    /// from its initial weights (when known), a random filter-normalised line and plane (directions from <paramref name="seed"/>).
    /// </summary>
    public static LandscapeResult Measure(TrainedNet net, int images, int gridPoints, double range, int linePoints, long seed, string? dataDir = null)
    {
        var label = net.Label;
        var (model, normalization) = net.Load();
        using (model)
        using (var batches = ImageBatches.First(TrainedNets.Data(net, dataDir), normalization, images, training: true))
        {
            var trained = LossLandscape.Snapshot(model);
            Dictionary<string, Tensor>? initial = null, toTrained = null;
            if (net.InitialWeights is { } initialWeights)
            {
                var statistics = model.named_buffers().Select(b => (b.buffer, Copy: b.buffer.detach().clone())).ToList();
                Snapshots.Load(initialWeights(), model);
                initial = LossLandscape.Snapshot(model);
                LossLandscape.MoveTo(model, trained);
                using (no_grad())
                    foreach (var (buffer, copy) in statistics) { buffer.copy_(copy); copy.Dispose(); }   // the trained BN statistics back
                toTrained = LandscapeSlices.Between(initial, trained);
            }
            var d1 = LossLandscape.FilterNormalizedDirection(model, seed);
            var d2 = LossLandscape.FilterNormalizedDirection(model, seed + 1);
            try
            {
                var interpolation = initial is null ? null : LandscapeSlices.Line(model, initial, toTrained!, LandscapeSlices.Span(linePoints, -0.5, 1.5), batches.Batches,
                    label, "initialisation → trained", batchStatistics: true);
                LossLandscape.MoveTo(model, trained);
                var random = LandscapeSlices.Line(model, trained, d1, LandscapeSlices.Symmetric(linePoints, range), batches.Batches, label, "random direction");
                var plane = LandscapeSlices.Plane(model, trained, d1, d2, LandscapeSlices.Symmetric(gridPoints, range), batches.Batches, label);
                var centre = LandscapeSlices.Evaluate(model, batches.Batches).Loss;
                return new LandscapeResult(label, interpolation, random, plane, centre);
            }
            finally { Free([trained, d1, d2, .. new[] { initial, toTrained }.OfType<Dictionary<string, Tensor>>()]); }
        }
    }

    static void Free(params IReadOnlyDictionary<string, Tensor>[] sets)
    {
        foreach (var set in sets)
            foreach (var t in set.Values) t.Dispose();
    }

    /// <summary>bf16 vs fp32 on <paramref name="points"/> points of a random line of the net (speed and loss difference).</summary>
    public static PrecisionCheck ComparePrecision(TrainedNet net, int images, double range, int points, long seed, string? dataDir = null)
    {
        var (model, normalization) = net.Load();
        using (model)
        using (var batches = ImageBatches.First(TrainedNets.Data(net, dataDir), normalization, images, training: true))
        {
            var trained = LossLandscape.Snapshot(model);
            var d = LossLandscape.FilterNormalizedDirection(model, seed);
            try { return LandscapeSlices.ComparePrecision(model, trained, d, LandscapeSlices.Symmetric(points, range), batches.Batches); }
            finally { Free(trained, d); }
        }
    }
}
