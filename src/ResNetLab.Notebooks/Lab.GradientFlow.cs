using Plotly.NET;
using Microsoft.Data.Analysis;
using ResNetLab.Analysis;
using ResNetLab.Charts;
using ResNetLab.Data;
using ResNetLab.Models;
using ResNetLab.Training;

namespace ResNetLab.Notebooks;

/// <summary>Notebooks 08 and 10: gradient flow from stored snapshots, shattered gradients, training-time estimates.</summary>
public sealed partial class Lab
{
    /// <summary>
    /// Per-layer gradients of every run at every stored snapshot, on the first <paramref name="images"/> training images
    /// (the same batch for every run and snapshot; BN in training mode as in training, its statistics restored).
    /// </summary>
    public IReadOnlyList<GradientFlowSeries> GradientFlow(IEnumerable<RunResult> runs, int images) =>
        GradientFlowAnalysis.Measure(runs.ToList(), images, DataDir);

    /// <summary>
    /// The end of training (issue 22): the fully trained reference ResNets of the depths among <paramref name="flow"/>'s
    /// ResNets (all four when none matches), measured on the same first <paramref name="images"/> training images, after
    /// the last snapshot of each of the student's runs.
    /// </summary>
    public IReadOnlyList<TrainedGradients> TrainedGradients(IReadOnlyList<GradientFlowSeries> flow, int images)
    {
        var depths = flow.Where(s => s.Residual).Select(s => s.Depth).ToHashSet();
        var references = References().Where(r => depths.Contains(r.Spec.Depth)).ToList();
        if (references.Count == 0) references = [.. References()];
        return [.. TrainedGradientStudy.LastSnapshots(flow), .. TrainedGradientStudy.Measure(references, images, DataDir)];
    }

    /// <summary>
    /// The line study of the plan at initialisation: for each of its depths the plain net and the ResNet, freshly
    /// initialised from the plan's seed (what their runs' snapshot 0 holds), input gradients along the plan's lines.
    /// </summary>
    /// <param name="plan">Depths, lines and points per line.</param>
    /// <param name="span">Each line runs over x0 + t·d for t in [−span, span], d scaled to ‖x0‖.</param>
    public IReadOnlyList<(ModelSpec Spec, CorrelationCurve Curve)> ShatteredGradients(GradientFlowPlan plan, double span = 0.25)
    {
        var data = CifarData.Load(DataDir);
        var (x, y) = GradientFlowAnalysis.FixedBatch(data, Normalization.PerPixelMean(data.TrainImages), plan.BatchImages);
        using (x)
        using (y)
        {
            var specs = plan.LineDepths.SelectMany(d => new[] { ModelZoo.Spec($"plain{d}"), ModelZoo.Spec($"resnet{d}") });
            return Analysis.ShatteredGradients.AtInitialisation(specs, x, y, plan.Lines, plan.LinePoints, span, plan.Runs[0].Seed);
        }
    }

    /// <summary>
    /// Notebook 02's *Why deep nets start slow*: each residual net of <paramref name="runs"/> (their models and the first
    /// run's seed) freshly initialised with the paper's init and started at zero, its signal measured block by block on
    /// the first <paramref name="images"/> training images (<see cref="Analysis.SignalAtInit"/>). No training; seconds.
    /// </summary>
    public IReadOnlyList<SignalGrowth> SignalAtInit(IEnumerable<RunResult> runs, int images = 128)
    {
        var configs = runs.Select(r => r.Record.Config).Where(c => c.Spec.Residual).ToList();
        if (configs.Count == 0) throw new ArgumentException("SignalAtInit needs at least one residual run (its model and seed are measured)");
        return SignalAtInit(configs.Select(c => c.Model).Distinct(), configs[0].Seed, images);
    }

    /// <summary>The same for any registered residual nets (e.g. resnet110), built from <paramref name="seed"/>; nothing trains.</summary>
    public IReadOnlyList<SignalGrowth> SignalAtInit(IEnumerable<string> models, long seed = 0, int images = 128)
    {
        var data = CifarData.Load(DataDir);
        var (x, y) = GradientFlowAnalysis.FixedBatch(data, Normalization.PerPixelMean(data.TrainImages), Math.Min(images, data.TrainCount));
        using (x)
        using (y)
            return Analysis.SignalAtInit.Measure(models, x, seed);
    }

    /// <summary>The signal's std after every block at initialisation (solid: the paper's init, dashed: zero-init).</summary>
    public GenericChart SignalChart(IReadOnlyList<SignalGrowth> nets) =>
        Figures.Lines(Analysis.SignalAtInit.StreamLines(nets), "At initialisation: the signal after each block (solid: paper's init, dashed: zero-init)",
            Subtitle + $" · {nets.Count} nets, one batch, BN batch statistics", "block (input → output)", "std of the block's output", logY: true);

    /// <summary>How long <paramref name="config"/> would train on this machine (from finished runs here, else a short measurement).</summary>
    public DurationEstimate EstimateHere(RunConfig config) => TrainingEstimate.FromRuns(RunsDir).Estimate(config);

    /// <summary>An estimate as a one-row table: the run, its iterations and batch, hours here, and what the figure rests on.</summary>
    public static DataFrame EstimateTable(RunConfig config, DurationEstimate estimate) => new(
        new StringDataFrameColumn("run", [config.RunName]),
        new Int32DataFrameColumn("iterations", [config.ResolvedRecipe.Iterations]),
        new Int32DataFrameColumn("batch", [config.ResolvedRecipe.BatchSize]),
        new DoubleDataFrameColumn("hours here (estimate)", [Math.Round(estimate.Seconds / 3600, 1)]),
        new DoubleDataFrameColumn("days", [Math.Round(estimate.Seconds / 86400, 1)]),
        new StringDataFrameColumn("from", [estimate.Basis]));
}
