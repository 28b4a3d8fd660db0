using Microsoft.Data.Analysis;
using ResNetLab.Data;
using ResNetLab.Models;
using ResNetLab.Paper;
using ResNetLab.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNetLab.Analysis;

/// <summary>A finished run reduced to what the findings compare (errors in percent).</summary>
public sealed record FinalResult(string Label, string Model, int Depth, bool Residual, ShortcutOption? Shortcut, BlockKind Block,
                                 int Iterations, double TrainErrorPercent, double TestErrorPercent, int EvalImages, long Seed, long Parameters,
                                 bool ZeroInitResidual = false, double WallSeconds = 0);

/// <summary>One row of Table 6 over seeds: final test error (%) mean, sample std (NaN for one seed), best, n; the paper's beside it.</summary>
public sealed record SeedStat(string Label, string Model, ShortcutOption? Shortcut, int N, double MeanPercent, double StdPercent, double BestPercent,
                             IReadOnlyList<long> Seeds, IReadOnlyList<double> TestErrorsPercent, int Iterations, int EvalImages,
                             double? PaperPercent, double? PaperMeanPercent, double? PaperStdPercent)
{
    /// <summary>Final training error (%) over the same seeds: mean and sample std (NaN for one seed) — Fig. 6's dashed lines.</summary>
    public double TrainMeanPercent { get; init; } = double.NaN;
    /// <inheritdoc cref="TrainMeanPercent"/>
    public double TrainStdPercent { get; init; } = double.NaN;
    /// <summary>Mean wall time of one run (training and evaluation, every session), seconds.</summary>
    public double MeanWallSeconds { get; init; } = double.NaN;

    /// <summary>E.g. "6.61 ± 0.16 (best 6.43), 5 runs", "8.75" or "—".</summary>
    public string PaperText => PaperMeanPercent is { } m && PaperStdPercent is { } s && PaperPercent is { } b
        ? $"{m:0.00} ± {s:0.00} (best {b:0.00}), 5 runs"
        : PaperPercent is { } p ? $"{p:0.00}" : "—";
}

/// <summary>Two runs' curves compared at their common evaluations (<see cref="RunAnalysis.Agreement"/>).</summary>
public sealed record CurveAgreement(string Run, string Twin, int Evaluations, double MaxTrainLossDifference, double MaxTestErrorDifferencePoints);

/// <summary>Turns run records into chart series, tables and final results — the one path from runs to figures.</summary>
public static class RunAnalysis
{
    /// <summary>Short legend label: the model, with its shortcut option when runs of one model differ only in it.</summary>
    public static string Label(RunConfig config, bool withShortcut) =>
        config.Model + (withShortcut && config.Shortcut is { } s ? $" ({s})" : "") + (config.ZeroInitResidual ? " zero-init" : "") +
        (config.FittedWarmup?.RampIterations is { } ramp ? $" ramp{ramp}" : "");

    /// <summary>
    /// A committed run of this project (<see cref="ReferenceRuns"/>) labelled for what it is, e.g.
    /// "resnet56 · 12,800 it · this project (seed 0, 2-thread cpu, bf16, lossy mirror)", so nobody takes it for the student's.
    /// </summary>
    public static string ReferenceLabel(RunResult reference)
    {
        var (c, r) = (reference.Record.Config, reference.Record);
        var where = string.Join(", ", new[]
        {
            $"seed {r.Seed}", $"{r.Runtime.Threads}-thread {r.Device}", c.Precision == Precision.Fp32 ? null : c.Precision.Name(),
            r.DataSource == DataSource.Name(DataSourceKind.Mirror) ? "lossy mirror" : null,
        }.OfType<string>());
        return $"{Label(c, withShortcut: false)} · {c.Budget.Iterations:N0} it · this project ({where})";
    }

    /// <summary>The project's own reference runs as curves, each labelled by <see cref="ReferenceLabel"/>.</summary>
    public static IReadOnlyList<ErrorCurve> ReferenceCurves(IReadOnlyList<RunResult> references) =>
        references.Select(r => new ErrorCurve(ReferenceLabel(r),
            r.Metrics.Select(m => (double)m.Iteration).ToList(),
            r.Metrics.Select(m => 100 * m.TrainError).ToList(),
            r.Metrics.Select(m => 100 * m.TestError).ToList())).ToList();

    static bool ShortcutsDiffer(IReadOnlyList<RunResult> runs) =>
        runs.GroupBy(r => r.Record.Config.Model).Any(g => g.Select(r => r.Record.Config.Shortcut).Distinct().Count() > 1);

    static bool SeedsDiffer(IReadOnlyList<RunResult> runs) =>
        runs.GroupBy(r => (r.Record.Config.Model, r.Record.Config.Shortcut)).Any(g => g.Count() > 1);

    /// <summary>Legend labels for a set of runs: the model, plus its shortcut or seed only where runs would otherwise look alike.</summary>
    public static IReadOnlyList<string> Labels(IReadOnlyList<RunResult> runs)
    {
        var shortcuts = ShortcutsDiffer(runs);
        var seeds = SeedsDiffer(runs);
        return runs.Select(r => Label(r.Record.Config, shortcuts) + (seeds ? $" s{r.Record.Seed}" : "") +
                                (ReferenceRuns.IsCommitted(r.Folder) ? " (this project's record)" : "")).ToList();
    }

    /// <summary>Training and test error curves (percent) per run, labelled as <see cref="Labels"/> does — Fig. 6's lines.</summary>
    public static IReadOnlyList<ErrorCurve> Curves(IReadOnlyList<RunResult> runs)
    {
        var labels = Labels(runs);
        return runs.Select((r, i) => new ErrorCurve(labels[i],
            r.Metrics.Select(m => (double)m.Iteration).ToList(),
            r.Metrics.Select(m => 100 * m.TrainError).ToList(),
            r.Metrics.Select(m => 100 * m.TestError).ToList())).ToList();
    }

    /// <summary>
    /// How far two runs' curves are apart at their common evaluations: the largest difference of the training loss and
    /// of the test error (points) — zero up to float rounding for two runs of the same net, seed and init.
    /// </summary>
    public static CurveAgreement Agreement(RunResult a, RunResult b)
    {
        var pairs = a.Metrics.Join(b.Metrics, m => m.Iteration, m => m.Iteration, (x, y) => (x, y)).ToList();
        if (pairs.Count == 0) throw new InvalidOperationException($"{a.Record.Name} and {b.Record.Name} share no evaluation");
        return new CurveAgreement(a.Record.Name, b.Record.Name, pairs.Count,
            pairs.Max(p => Math.Abs(p.x.TrainLoss - p.y.TrainLoss)),
            pairs.Max(p => 100 * Math.Abs(p.x.TestError - p.y.TestError)));
    }

    /// <summary>Each finished run reduced to its final errors (percent), size and schedule for the findings and tables.</summary>
    public static IReadOnlyList<FinalResult> Finals(IReadOnlyList<RunResult> runs)
    {
        var labels = Labels(runs);
        return runs.Select((r, i) =>
        {
            var c = r.Record.Config;
            var last = r.Metrics.LastOrDefault() ?? throw new InvalidOperationException($"run {r.Record.Name} has no evaluation yet");
            var spec = c.Spec;
            return new FinalResult(labels[i], c.Model, spec.Depth, spec.Residual, c.Shortcut, spec.Block, last.Iteration,
                100 * last.TrainError, 100 * last.TestError, r.Record.Final?.EvalImages ?? 0, r.Record.Seed, r.Record.Parameters,
                c.ZeroInitResidual, r.Record.WallSeconds);
        }).ToList();
    }

    /// <summary>Table 6's test error by model name (for reference lines and tables).</summary>
    public static IReadOnlyDictionary<string, double> PaperTestErrors { get; } =
        PaperNumbers.Table6.ToDictionary(t => t.Model, t => t.TestErrorPercent);

    /// <summary>Final errors beside Table 6, with how each run was trained (budget, schedule, data, device, time).</summary>
    public static DataFrame Results(IReadOnlyList<RunResult> runs)
    {
        var finals = Finals(runs);
        return new DataFrame(
            new StringDataFrameColumn("run", finals.Select(f => f.Label)),
            new Int64DataFrameColumn("parameters", finals.Select(f => f.Parameters)),
            new Int32DataFrameColumn("iterations", finals.Select(f => f.Iterations)),
            new Int32DataFrameColumn("batch", runs.Select(r => r.Record.Recipe.BatchSize)),
            new DoubleDataFrameColumn("train error (%)", finals.Select(f => Math.Round(f.TrainErrorPercent, 2))),
            new DoubleDataFrameColumn("test error (%)", finals.Select(f => Math.Round(f.TestErrorPercent, 2))),
            new Int32DataFrameColumn("test images", finals.Select(f => f.EvalImages)),
            new DoubleDataFrameColumn("Table 6 test error (%)", finals.Select(f => PaperTestErrors.TryGetValue(f.Model, out var p) && f.Residual ? p : double.NaN)),
            new StringDataFrameColumn("warm-up ended at", runs.Select(r => r.Record.Warmup is null ? "no warm-up" : r.Record.WarmupEndedAt is { } w ? $"iteration {w}" : "did not end")),
            new DoubleDataFrameColumn("minutes", runs.Select(r => Math.Round(r.Record.WallSeconds / 60, 1))),
            new StringDataFrameColumn("this call", runs.Select(r => r.Outcome.ToString().ToLowerInvariant())),
            new StringDataFrameColumn("budget · data · device", runs.Select(r => $"{r.Record.Budget.Name} · {r.Record.DataSource} · {r.Record.Device}" +
                (r.Record.Config.Precision == Precision.Fp32 ? "" : $" · {r.Record.Config.Precision.Name()}"))));
    }

    /// <summary>
    /// Table 6 from records: per model (and shortcut option, when the runs differ in it) the final test error's mean,
    /// sample std, best and n over seeds, beside the paper's figure — the one function behind the notebooks' seed
    /// tables and `resnet results`.
    /// </summary>
    public static IReadOnlyList<SeedStat> SeedStats(IReadOnlyList<RunResult> runs)
    {
        var finals = Finals(runs);
        var withShortcut = ShortcutsDiffer(runs);
        static (double Mean, double Std) MeanStd(IReadOnlyList<double> xs)
        {
            var mean = xs.Average();
            return (mean, xs.Count < 2 ? double.NaN : Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / (xs.Count - 1)));
        }
        return finals.GroupBy(f => (f.Model, f.Shortcut, f.ZeroInitResidual)).Select(g =>
        {
            var seeds = g.OrderBy(f => f.Seed).ToList();
            var errors = seeds.Select(f => f.TestErrorPercent).ToList();
            var (mean, std) = MeanStd(errors);
            var (trainMean, trainStd) = MeanStd(seeds.Select(f => f.TrainErrorPercent).ToList());
            var r = g.First();
            // Table 6 is option A with the paper's init; other options, zero-init and plain nets have no CIFAR-10 figure in the paper.
            double? paper = r.Residual && !r.ZeroInitResidual && r.Shortcut is null or ShortcutOption.A && PaperTestErrors.TryGetValue(r.Model, out var p) ? p : null;
            var paperMeanStd = r.Model == "resnet110" && paper is not null ? PaperNumbers.ResNet110MeanOf5 : ((double, double)?)null;
            var config = runs.First(x => x.Record.Config.Model == r.Model && x.Record.Config.Shortcut == r.Shortcut && x.Record.Config.ZeroInitResidual == r.ZeroInitResidual).Record.Config;
            return new SeedStat(Label(config, withShortcut), r.Model, r.Shortcut, errors.Count, mean, std, errors.Min(), seeds.Select(f => f.Seed).ToList(),
                                errors, r.Iterations, r.EvalImages, paper, paperMeanStd?.Item1, paperMeanStd?.Item2)
            {
                TrainMeanPercent = trainMean, TrainStdPercent = trainStd, MeanWallSeconds = seeds.Average(f => f.WallSeconds),
            };
        }).ToList();
    }

    /// <summary>Mean ± std of the final test error over seeds, per model, beside Table 6's "6.61±0.16" for ResNet-110.</summary>
    public static DataFrame SeedSummary(IReadOnlyList<RunResult> runs)
    {
        var stats = SeedStats(runs);
        return new DataFrame(
            new StringDataFrameColumn("model", stats.Select(g => g.Label)),
            new Int32DataFrameColumn("seeds", stats.Select(g => g.N)),
            new DoubleDataFrameColumn("mean test error (%)", stats.Select(g => Math.Round(g.MeanPercent, 2))),
            new DoubleDataFrameColumn("std (%)", stats.Select(g => Math.Round(g.StdPercent, 2))),
            new DoubleDataFrameColumn("best (%)", stats.Select(g => Math.Round(g.BestPercent, 2))),
            new StringDataFrameColumn("paper", stats.Select(g => g.PaperText)));
    }

    /// <summary>(iterations, learning rates, training error %) of a run, for the warm-up chart.</summary>
    public static (IReadOnlyList<double> Iterations, IReadOnlyList<double> LearningRate, IReadOnlyList<double> TrainErrorPercent) Schedule(RunResult run) =>
        (run.Metrics.Select(m => (double)m.Iteration).ToList(), run.Metrics.Select(m => m.LearningRate).ToList(), run.Metrics.Select(m => 100 * m.TrainError).ToList());

    /// <summary>
    /// What one training step of a network needs in memory at a batch size: weights, gradients and momentum (3 × params)
    /// plus the activations kept for backward (every conv, BN and linear output, traced on a real forward pass).
    /// </summary>
    public static DataFrame MemoryEstimate(string model, int batch)
    {
        using var net = ModelZoo.Create(model);
        var report = Complexity.Measure(net, net.Spec.InputSize);
        var perImage = report.Layers.Sum(l => l.OutputShape.Aggregate(1L, (a, b) => a * b));
        const double MiB = 1024 * 1024;
        var weights = report.Parameters * 4 / MiB;
        var activations = perImage * 4.0 * batch / MiB;
        return new DataFrame(
            new StringDataFrameColumn("what", ["weights", "gradients", "momentum buffers", $"activations kept for backward (batch {batch})", "total (estimate)"]),
            new DoubleDataFrameColumn("MiB", new[] { weights, weights, weights, activations, 3 * weights + activations }.Select(v => Math.Round(v, 1))));
    }
}

/// <summary>Fig. 7: the std of each 3×3 layer's response (after BN, before ReLU/addition) of trained nets.</summary>
public static class LayerResponseAnalysis
{
    /// <summary>Load each run's final weights and measure its responses on the first <paramref name="images"/> test images.</summary>
    public static IReadOnlyList<ResponseSeries> Measure(IReadOnlyList<RunResult> runs, int images, string? dataDir = null) =>
        Measure(TrainedNets.Of(runs), images, dataDir);

    /// <summary>Each net's responses on the first <paramref name="images"/> test images, normalised as it was trained.</summary>
    public static IReadOnlyList<ResponseSeries> Measure(IReadOnlyList<TrainedNet> nets, int images, string? dataDir = null)
    {
        var series = new List<ResponseSeries>();
        var data = new Dictionary<CifarFormat, CifarData>();
        foreach (var net in nets)
        {
            if (!data.TryGetValue(net.Format, out var set)) data[net.Format] = set = TrainedNets.Data(net, dataDir);
            using var scope = NewDisposeScope();
            var (model, normalization) = net.Load();
            using (model)
            {
                var (batch, _) = TestSet.Batches(set, normalization, CPU, images).First();
                var responses = model.LayerResponses(batch);
                series.Add(new ResponseSeries(net.Label, responses.Select(r => (double)r.Output.std().item<float>()).ToList()));
                foreach (var r in responses) r.Output.Dispose();
            }
        }
        return series;
    }

    /// <summary>Fig. 7 as a table: per network the 3×3 layer count and the mean, median and max response std.</summary>
    public static DataFrame Table(IReadOnlyList<ResponseSeries> series) => new(
        new StringDataFrameColumn("network", series.Select(s => s.Label)),
        new Int32DataFrameColumn("3×3 layers", series.Select(s => s.Std.Count)),
        new DoubleDataFrameColumn("mean std", series.Select(s => Math.Round(s.Std.Average(), 3))),
        new DoubleDataFrameColumn("median std", series.Select(s => Math.Round(s.Std.Order().ElementAt(s.Std.Count / 2), 3))),
        new DoubleDataFrameColumn("max std", series.Select(s => Math.Round(s.Std.Max(), 3))));
}
