using ResNetLab.Data;
using ResNetLab.Models;
using ResNetLab.Runtime;
using ResNetLab.Training;
using static TorchSharp.torch;

namespace ResNetLab.Analysis;

/// <summary>One network's per-layer gradients at every stored snapshot of its run (notebook 08's heatmaps).</summary>
/// <param name="Label">Legend label (the model).</param>
/// <param name="Model">Registry name of the network.</param>
/// <param name="Depth">Layers as the paper counts them.</param>
/// <param name="Residual">With shortcuts.</param>
/// <param name="Layers">Weighted layers (convs, then the classifier) in forward order.</param>
/// <param name="Iterations">The snapshot iterations measured (0 = initialisation).</param>
/// <param name="Gradients">Per snapshot (same order as <paramref name="Iterations"/>), per layer (same order as <paramref name="Layers"/>).</param>
/// <param name="LearningRates">The rate the run trained with right after each snapshot (warm-up included), from its metrics; NaN when unknown.</param>
public sealed record GradientFlowSeries(string Label, string Model, int Depth, bool Residual, IReadOnlyList<string> Layers,
                                        IReadOnlyList<int> Iterations, IReadOnlyList<IReadOnlyList<GradientFlow.LayerGradient>> Gradients,
                                        IReadOnlyList<double> LearningRates)
{
    /// <summary>‖∂L/∂W‖ / ‖W‖ of every layer (rows) at every snapshot (columns).</summary>
    public double[][] RatioMatrix => Matrix(g => g.Ratio);

    /// <summary>‖∂L/∂W‖ of every layer (rows) at every snapshot (columns).</summary>
    public double[][] GradientNormMatrix => Matrix(g => g.GradientNorm);

    double[][] Matrix(Func<GradientFlow.LayerGradient, double> value) =>
        Enumerable.Range(0, Layers.Count).Select(l => Gradients.Select(s => value(s[l])).ToArray()).ToArray();

    /// <summary>The median over layers of the ratio at each snapshot: one line per network.</summary>
    public IReadOnlyList<double> MedianRatio => Gradients.Select(s => Stats.Median(s.Select(g => g.Ratio))).ToList();
}

/// <summary>
/// Gradient flow over training, read from the snapshots every run keeps (<see cref="Snapshots"/>) — nothing retrained.
/// Each snapshot gets the same fixed batch of training images, its BN layers in training mode as during training
/// (<see cref="GradientFlow.Measure"/> restores their running statistics afterwards).
/// </summary>
public static class GradientFlowAnalysis
{
    /// <summary>
    /// The first <paramref name="images"/> images of the training set in file order, normalised, no augmentation: the one
    /// batch every network and every snapshot is measured on.
    /// </summary>
    public static (Tensor Images, Tensor Labels) FixedBatch(CifarData data, Normalization normalization, int images)
    {
        if (images <= 0 || images > data.TrainCount) throw new ArgumentOutOfRangeException(nameof(images), $"{images} images: need 1 … {data.TrainCount}");
        using var normalizer = normalization.ToDevice(CPU);
        var (raw, labels) = data.Slice(0, images, training: true);
        using (raw) return (normalizer.Apply(raw), labels);
    }

    /// <summary>Load each snapshot into <paramref name="model"/> in turn and measure its per-layer gradients on (x, y).</summary>
    public static IReadOnlyList<(int Iteration, IReadOnlyList<GradientFlow.LayerGradient> Layers)> OverSnapshots(
        ResNetModel model, IReadOnlyList<(int Iteration, string Path)> snapshots, Tensor x, Tensor y) =>
        snapshots.Select(s =>
        {
            Snapshots.Load(s.Path, model);
            return (s.Iteration, GradientFlow.Measure(model, x, y));
        }).ToList();

    /// <summary>
    /// Every snapshot of every run, measured on the first <paramref name="images"/> training images (normalised as the
    /// run normalised them). A run without snapshots (trained before version 0.4) is an error naming it.
    /// </summary>
    public static IReadOnlyList<GradientFlowSeries> Measure(IReadOnlyList<RunResult> runs, int images, string? dataDir = null)
    {
        var labels = RunAnalysis.Labels(runs);
        var data = new Dictionary<CifarFormat, CifarData>();
        var result = new List<GradientFlowSeries>();
        for (var i = 0; i < runs.Count; i++)
        {
            var run = runs[i];
            var config = run.Record.Config;
            var snapshots = run.RunFolder.ListSnapshots();
            if (snapshots.Count == 0)
                throw new InvalidOperationException($"{run.Folder} has no weight snapshots (runs trained before version 0.4 keep none): " +
                                                    "delete that folder or force a retrain of the run, which then keeps them");
            var format = config.Format;
            if (!data.TryGetValue(format, out var set)) data[format] = set = CifarData.Load(DataLocation.Resolve(dataDir, format, out _), format);
            var state = run.RunFolder.ReadCheckpointState() ?? throw new InvalidOperationException($"{run.Folder} has no checkpoint to read its normalisation from");
            using var scope = NewDisposeScope();
            using var model = Experiment.CreateModel(config);
            var (x, y) = FixedBatch(set, state.Normalization, images);
            var measured = OverSnapshots(model, snapshots, x, y);
            var layers = measured[0].Layers.Select(l => l.Layer).ToList();
            var rates = snapshots.Select(s => RateAfter(run.Metrics, s.Iteration)).ToList();
            result.Add(new GradientFlowSeries(labels[i], config.Model, config.Spec.Depth, config.Spec.Residual, layers,
                measured.Select(m => m.Iteration).ToList(), measured.Select(m => m.Layers).ToList(), rates));
        }
        return result;
    }

    // metrics.csv holds the rate of each evaluation interval; the first row at or after the snapshot is the rate it trained with next
    static double RateAfter(IReadOnlyList<MetricsRow> metrics, int iteration) =>
        metrics.FirstOrDefault(m => m.Iteration > iteration)?.LearningRate ?? metrics.LastOrDefault()?.LearningRate ?? double.NaN;

    /// <summary>
    /// One heatmap per network: layers (rows, input to output) by snapshot iteration (columns, evenly spaced — the
    /// iterations themselves are spaced 1-2-5 per decade), colour log10 of the ratio or of the gradient norm.
    /// </summary>
    public static IReadOnlyList<Heatmap> Heatmaps(IReadOnlyList<GradientFlowSeries> series, bool ratio) =>
        series.Select(s => new Heatmap(s.Label,
            s.Iterations.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList(),
            s.Layers.Select((l, i) => $"{i + 1} {ShortName(l)}").ToList(),
            (ratio ? s.RatioMatrix : s.GradientNormMatrix).Select(row => (IReadOnlyList<double>)row.Select(v => Math.Log10(Math.Max(v, 1e-30))).ToList()).ToList()))
        .ToList();

    /// <summary>
    /// The largest relative step one SGD update at <paramref name="learningRate"/> would make to any layer
    /// (rate × max over layers of ‖∂L/∂W‖ / ‖W‖) at each snapshot, one line per network, plain nets dashed; x is
    /// iteration + 1 so that initialisation sits on a log axis.
    /// </summary>
    public static IReadOnlyList<LineSeries> LargestStep(IReadOnlyList<GradientFlowSeries> series, double learningRate) =>
        series.Select((s, i) => new LineSeries($"{s.Label}", s.Iterations.Select(it => it + 1.0).ToList(),
            s.Gradients.Select(g => learningRate * g.Max(l => l.Ratio)).ToList(), Dashed: !s.Residual, ColorIndex: i)).ToList();

    /// <summary>
    /// ‖∂L/∂W‖ / ‖W‖ of every layer at initialisation (snapshot 0) against the layer's position in the net (0 = the
    /// first conv, 1 = the classifier), one line per network, plain nets dashed.
    /// </summary>
    public static IReadOnlyList<LineSeries> RatioByLayerAtInitialisation(IReadOnlyList<GradientFlowSeries> series) =>
        series.Where(s => s.Iterations.Count > 0 && s.Iterations[0] == 0).Select((s, i) => new LineSeries(s.Label,
            Enumerable.Range(0, s.Layers.Count).Select(l => (double)l / Math.Max(1, s.Layers.Count - 1)).ToList(),
            s.Gradients[0].Select(g => g.Ratio).ToList(), Dashed: !s.Residual, ColorIndex: i)).ToList();

    /// <summary>The line study as chart series: one colour per depth, plain dashed, residual solid.</summary>
    public static IReadOnlyList<LineSeries> CorrelationSeries(IReadOnlyList<(ModelSpec Spec, CorrelationCurve Curve)> lines)
    {
        var depths = lines.Select(l => l.Spec.Depth).Distinct().Order().ToList();
        return lines.OrderBy(l => l.Spec.Depth).ThenBy(l => l.Spec.Residual)
            .Select(l => new LineSeries(l.Curve.Label, l.Curve.Distances, l.Curve.Correlation, Dashed: !l.Spec.Residual, ColorIndex: depths.IndexOf(l.Spec.Depth)))
            .ToList();
    }

    /// <summary>Per network at initialisation: layers, first/last conv gradient, median and largest ratio (and where).</summary>
    public static Microsoft.Data.Analysis.DataFrame InitialTable(IReadOnlyList<GradientFlowSeries> series)
    {
        var rows = series.Where(s => s.Iterations.Count > 0 && s.Iterations[0] == 0).ToList();
        string Sci(double v) => v.ToString("0.00e+0", System.Globalization.CultureInfo.InvariantCulture);
        var convs = rows.Select(s => s.Gradients[0].Where(g => g.Layer.Contains("conv", StringComparison.Ordinal)).ToList()).ToList();
        return new Microsoft.Data.Analysis.DataFrame(
            new Microsoft.Data.Analysis.StringDataFrameColumn("network", rows.Select(s => s.Label)),
            new Microsoft.Data.Analysis.Int32DataFrameColumn("weighted layers", rows.Select(s => s.Layers.Count)),
            new Microsoft.Data.Analysis.StringDataFrameColumn("‖∂L/∂W‖ first conv", convs.Select(c => Sci(c[0].GradientNorm))),
            new Microsoft.Data.Analysis.StringDataFrameColumn("‖∂L/∂W‖ last conv", convs.Select(c => Sci(c[^1].GradientNorm))),
            new Microsoft.Data.Analysis.StringDataFrameColumn("median ratio", rows.Select(s => Sci(s.MedianRatio[0]))),
            new Microsoft.Data.Analysis.StringDataFrameColumn("largest ratio", rows.Select(s => Sci(s.Gradients[0].Max(g => g.Ratio)))),
            new Microsoft.Data.Analysis.StringDataFrameColumn("at layer", rows.Select(s => ShortName(s.Gradients[0].MaxBy(g => g.Ratio)!.Layer))),
            new Microsoft.Data.Analysis.Int32DataFrameColumn("snapshots", rows.Select(s => s.Iterations.Count)));
    }

    /// <summary>layer2.0.conv1.weight → layer2.0.conv1.</summary>
    static string ShortName(string parameter) => parameter.EndsWith(".weight", StringComparison.Ordinal) ? parameter[..^".weight".Length] : parameter;
}

/// <summary>
/// Shattered gradients (Balduzzi, Frean, Leary, Lewis, Ma, McWilliams, "The Shattered Gradients Problem: If resnets are
/// the answer, then what is the question?", ICML 2017): the gradient of a fixed output with respect to the input, taken
/// at points along a line through input space, and how quickly gradients at nearby points stop being alike.
/// </summary>
public static class ShatteredGradients
{
    /// <summary>
    /// The gradients ∂f_c/∂x at x(t) = x0 + t·d for <paramref name="points"/> values of t evenly spaced in
    /// [−<paramref name="span"/>, +<paramref name="span"/>], as a points × (input size) matrix. Each point's gradient is
    /// its own (the model must be in eval mode, so no batch statistics couple the points).
    /// </summary>
    public static Tensor InputGradientsAlongLine(nn.Module<Tensor, Tensor> model, Tensor x0, Tensor direction, int points, double span, int output)
    {
        if (points < 2) throw new ArgumentOutOfRangeException(nameof(points), "a line needs at least two points");
        if (model.training) throw new InvalidOperationException("input gradients along a line need the model in eval mode: batch statistics would couple the points");
        using var scope = NewDisposeScope();
        var t = linspace(-span, span, points, dtype: x0.dtype).reshape(points, 1, 1, 1);
        var x = (x0.unsqueeze(0) + t * direction.unsqueeze(0)).detach().requires_grad_(true);
        model.call(x)[.., output].sum().backward();
        return x.grad!.reshape(points, -1).detach().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Correlation of the gradients k steps apart along the line, k = 0 … points − 1: the mean over pairs (i, i + k) of
    /// the Pearson correlation of the two gradient vectors. 1 at k = 0; near 0 at every k ≥ 1 for white noise.
    /// </summary>
    public static double[] Autocorrelation(Tensor gradients)
    {
        using var scope = NewDisposeScope();
        var g = gradients.to_type(ScalarType.Float64);
        var centred = g - g.mean([1], keepdim: true);
        var unit = centred / (centred.norm(1, keepdim: true) + 1e-300);
        var c = unit.matmul(unit.t()).data<double>().ToArray();
        var n = (int)gradients.shape[0];
        var result = new double[n];
        for (var k = 0; k < n; k++)
        {
            double sum = 0;
            for (var i = 0; i + k < n; i++) sum += c[i * n + i + k];
            result[k] = sum / (n - k);
        }
        return result;
    }

    /// <summary>
    /// BN at initialisation, fixed: its running statistics are set to those of <paramref name="images"/> (one
    /// training-mode pass, momentum 1), then the model goes to eval mode. Each input's gradient is then a function of
    /// that input alone, and every BN layer normalises as it would on real images at the start of training.
    /// </summary>
    public static void CalibrateBatchNorm(nn.Module<Tensor, Tensor> model, Tensor images)
    {
        var norms = model.modules().OfType<TorchSharp.Modules.BatchNorm2d>().ToList();
        var momenta = norms.Select(n => n.momentum).ToList();
        try
        {
            foreach (var n in norms) { n.reset_running_stats(); n.momentum = 1.0; }
            model.train();
            using (no_grad())
            using (NewDisposeScope())
                model.call(images);
        }
        finally
        {
            foreach (var (n, m) in norms.Zip(momenta)) n.momentum = m;
            model.eval();
        }
    }

    /// <summary>
    /// The autocorrelation curve of a network at initialisation, averaged over <paramref name="lines"/> lines: line j
    /// starts at image j of <paramref name="images"/> and runs along a seeded Gaussian direction scaled to that image's
    /// norm; the output differentiated is the logit of the image's own label. Distances are in units of ‖x0‖.
    /// </summary>
    public static CorrelationCurve Measure(ResNetModel model, Tensor images, Tensor labels, int lines, int points, double span, long seed, string label)
    {
        if (points < 2) throw new ArgumentOutOfRangeException(nameof(points), "a line needs at least two points");
        if (lines < 1 || lines > images.shape[0]) throw new ArgumentOutOfRangeException(nameof(lines), $"{lines} lines from {images.shape[0]} images");
        CalibrateBatchNorm(model, images);
        using var generator = new Generator((ulong)seed);
        var sum = new double[points];
        for (var j = 0; j < lines; j++)
        {
            using var scope = NewDisposeScope();
            var x0 = images[j];
            var d = randn(x0.shape, generator: generator);
            d = d * (x0.norm() / d.norm());
            using var g = InputGradientsAlongLine(model, x0, d, points, span, (int)labels[j].item<long>());
            var c = Autocorrelation(g);
            for (var k = 0; k < points; k++) sum[k] += c[k];
        }
        var step = 2 * span / (points - 1);
        return new CorrelationCurve(label, Enumerable.Range(0, points).Select(k => k * step).ToList(), sum.Select(s => s / lines).ToList());
    }

    /// <summary>
    /// Plain and residual nets of each depth, freshly initialised from <paramref name="seed"/> exactly as a run of that
    /// seed starts (its snapshot 0), measured on the same lines.
    /// </summary>
    public static IReadOnlyList<(ModelSpec Spec, CorrelationCurve Curve)> AtInitialisation(IEnumerable<ModelSpec> specs, Tensor images, Tensor labels,
                                                                                          int lines, int points, double span, long seed)
    {
        var result = new List<(ModelSpec, CorrelationCurve)>();
        foreach (var spec in specs)
        {
            TorchRuntime.Seed(seed);   // the initial weights of a run of this seed (TrainingSession seeds the same way)
            using var model = ModelZoo.Create(spec.Name);
            result.Add((spec, Measure(model, images, labels, lines, points, span, seed, spec.Name)));
        }
        return result;
    }
}
