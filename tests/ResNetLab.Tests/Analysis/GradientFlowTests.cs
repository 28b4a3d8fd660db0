using ResNetLab.Analysis;
using ResNetLab.Charts;
using ResNetLab.Data;
using ResNetLab.Models;
using ResNetLab.Runtime;
using ResNetLab.Training;
using static TorchSharp.torch;

namespace ResNetLab.Tests.Analysis;

/// <summary>Notebook 08: gradients over stored snapshots, input gradients along a line, their autocorrelation, the facts.</summary>
[Collection(Training.GlobalRngCollection.Name)]
public class GradientFlowTests
{
    public GradientFlowTests() => TorchRuntime.Initialize(DeviceChoice.Cpu);

    static readonly Budget Tiny = new("tiny-flow", Iterations: 6, EvalEvery: 3, CheckpointEvery: 3, TrainImages: 512, EvalImages: 128, "tests");

    [Fact]
    public void Measuring_a_trained_run_gives_one_column_per_snapshot_each_the_gradients_of_those_weights()
    {
        var root = TestPaths.TempDir("flow");
        try
        {
            var config = new RunConfig { Model = "resnet8", Budget = Tiny, Seed = 2 };
            var options = new ExperimentOptions { RunsDir = root, Device = DeviceChoice.Cpu, EvalBatchSize = 128 };
            var run = Experiment.RunOrLoad(config, options);
            var snapshots = run.RunFolder.ListSnapshots();
            Assert.Equal(Snapshots.Iterations(Tiny.Recipe()), snapshots.Select(s => s.Iteration));
            Assert.True(snapshots.Count >= 5);   // 0, 1, 2, 5, the decays, the end

            var series = Assert.Single(GradientFlowAnalysis.Measure([run], images: 16));
            Assert.Equal(snapshots.Select(s => s.Iteration), series.Iterations);
            Assert.Equal(snapshots.Count, series.Gradients.Count);
            Assert.Equal(snapshots.Count, series.LearningRates.Count);
            var ratio = series.RatioMatrix;
            Assert.Equal(series.Layers.Count, ratio.Length);
            Assert.All(ratio, row => Assert.Equal(snapshots.Count, row.Length));
            Assert.Equal(ModelZoo.Create("resnet8").named_parameters().Count(p => p.parameter.dim() >= 2), series.Layers.Count);

            // Column 0 is the seed's initialisation, the last column the trained weights — measured on the same batch.
            var data = CifarData.Load(DataLocation.ResolveCifar10(null));
            var (x, y) = GradientFlowAnalysis.FixedBatch(data, run.RunFolder.ReadCheckpointState()!.Normalization, 16);
            TorchRuntime.Seed(2);
            using var fresh = ModelZoo.Create("resnet8");
            var initial = GradientFlow.Measure(fresh, x, y);
            using var trained = ModelZoo.Create("resnet8");
            run.RunFolder.LoadCheckpoint(trained, null);
            var final = GradientFlow.Measure(trained, x, y);
            for (var l = 0; l < series.Layers.Count; l++)
            {
                Assert.Equal(initial[l].GradientNorm, series.Gradients[0][l].GradientNorm, 4);
                Assert.Equal(final[l].GradientNorm, series.Gradients[^1][l].GradientNorm, 4);
                Assert.Equal(final[l].Ratio, ratio[l][^1], 4);
            }
            Assert.NotEqual(series.Gradients[0][0].WeightNorm, series.Gradients[^1][0].WeightNorm);   // training moved the weights

            // heatmaps: one per run, layers × snapshots, log10 of the ratio
            var map = Assert.Single(GradientFlowAnalysis.Heatmaps([series], ratio: true));
            Assert.Equal(snapshots.Select(s => s.Iteration.ToString(System.Globalization.CultureInfo.InvariantCulture)), map.Columns);
            Assert.Equal(Math.Log10(ratio[3][2]), map.Values[3][2], 9);

            // a run that kept no snapshots is one clear error naming it
            Directory.Delete(run.RunFolder.SnapshotsPath, recursive: true);
            var e = Assert.Throws<InvalidOperationException>(() => GradientFlowAnalysis.Measure([run], images: 16));
            Assert.Contains(run.Folder, e.Message);
            Assert.Contains("no weight snapshots", e.Message);
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Fact]
    public void A_linear_model_has_the_same_gradient_everywhere_so_correlation_1_at_every_distance()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(1);
        using var linear = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 10));
        linear.eval();
        var g = ShatteredGradients.InputGradientsAlongLine(linear, randn(3, 8, 8), randn(3, 8, 8), points: 9, span: 2, output: 4);
        Assert.Equal([9L, 192L], g.shape);
        var c = ShatteredGradients.Autocorrelation(g);
        Assert.Equal(9, c.Length);
        Assert.All(c, v => Assert.Equal(1.0, v, 9));
    }

    [Fact]
    public void Independent_gradients_are_white_noise_and_partly_shared_ones_have_their_correlation()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(2);
        var noise = randn(64, 4096);
        var white = ShatteredGradients.Autocorrelation(noise);
        Assert.Equal(1.0, white[0], 9);
        Assert.All(white.Skip(1).Take(20), v => Assert.InRange(v, -0.05, 0.05));
        // g_i = s + n_i with ‖s‖² = ‖n_i‖²: every pair of distinct points correlates at 1/2
        var shared = randn(1, 4096);
        var half = ShatteredGradients.Autocorrelation(shared + randn(64, 4096));
        Assert.All(half.Skip(1).Take(20), v => Assert.InRange(v, 0.45, 0.55));
    }

    [Fact]
    public void Each_points_gradient_is_its_own_and_batch_statistics_are_refused()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(3);
        using var model = ModelZoo.Create("resnet8");
        var images = randn(8, 3, 32, 32);
        ShatteredGradients.CalibrateBatchNorm(model, images);
        Assert.False(model.training);
        // BN's statistics are the batch's: the stem BN's running mean is the mean of the stem conv's output
        var stem = model.named_modules().Single(m => m.name == "conv1").module as nn.Module<Tensor, Tensor>;
        var bn1 = model.named_modules().Single(m => m.name == "bn1").module as TorchSharp.Modules.BatchNorm2d;
        using (no_grad())
        {
            var expected = stem!.call(images).mean([0, 2, 3]);
            Assert.True((bn1!.running_mean! - expected).abs().max().item<float>() < 1e-5);
        }
        Assert.Equal(0.1, bn1.momentum!.Value, 9);   // the layer's momentum is put back

        var x0 = images[0];
        var d = randn(3, 32, 32);
        var g = ShatteredGradients.InputGradientsAlongLine(model, x0, d, points: 5, span: 0.5, output: 3);
        var xi = (x0 + 0.25 * d).unsqueeze(0).detach().requires_grad_(true);   // t = −0.5, −0.25, 0, 0.25, 0.5: point 3
        model.call(xi)[0, 3].backward();
        Assert.True((g[3] - xi.grad!.flatten()).abs().max().item<float>() < 1e-4);

        model.train();
        Assert.Throws<InvalidOperationException>(() => ShatteredGradients.InputGradientsAlongLine(model, x0, d, 5, 0.5, 3));
    }

    [Fact]
    public void A_curve_over_several_lines_is_the_mean_of_each_lines_own_curve_from_its_image_label_and_seeded_direction()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(5);
        using var model = ModelZoo.Create("resnet8");
        var images = randn(4, 3, 32, 32);
        var labels = tensor(new long[] { 7, 2, 9, 0 });
        const int points = 7;
        const double span = 0.3;
        var curve = ShatteredGradients.Measure(model, images, labels, lines: 3, points, span, seed: 11, "resnet8");

        // by hand: line j from image j along the j-th seeded Gaussian direction scaled to ‖x_j‖, the logit of label j
        ShatteredGradients.CalibrateBatchNorm(model, images);
        using var generator = new Generator(11);
        var perLine = new List<double[]>();
        for (var j = 0; j < 3; j++)
        {
            var d = randn(new long[] { 3, 32, 32 }, generator: generator);
            d = d * (images[j].norm() / d.norm());
            perLine.Add(ShatteredGradients.Autocorrelation(ShatteredGradients.InputGradientsAlongLine(model, images[j], d, points, span, (int)labels[j].item<long>())));
        }
        Assert.Equal(points, curve.Correlation.Count);
        for (var k = 0; k < points; k++)
        {
            Assert.Equal(perLine.Average(c => c[k]), curve.Correlation[k], 12);
            Assert.Equal(k * 2 * span / (points - 1), curve.Distances[k], 12);
        }
        Assert.Equal(1.0, curve.Correlation[0], 9);
        // the lines differ, so the mean is not any one of them
        Assert.True(perLine.Select(c => c[1]).Distinct().Count() == 3);

        Assert.Contains("4 images", Assert.Throws<ArgumentOutOfRangeException>(() =>
            ShatteredGradients.Measure(model, images, labels, lines: 5, points, span, seed: 11, "resnet8")).Message);
    }

    static GradientFlowSeries Series(string model, int depth, bool residual, double[] maxRatioPerSnapshot, int[] iterations, double firstConv = 1, double lastConv = 1) =>
        new(model, model, depth, residual, ["conv1.weight", "layer1.0.conv1.weight", "linear.weight"], iterations,
            maxRatioPerSnapshot.Select(m => (IReadOnlyList<GradientFlow.LayerGradient>)
            [
                new("conv1.weight", firstConv, 1), new("layer1.0.conv1.weight", lastConv, 1), new("linear.weight", m, 1),
            ]).ToList(), iterations.Select(_ => 0.1).ToList());

    static (ModelSpec, CorrelationCurve) Line(string model, double nearest) =>
        (ModelZoo.Spec(model), new CorrelationCurve(model, [0, 0.03, 0.06], [1, nearest, nearest / 2]));

    [Fact]
    public void The_facts_follow_the_measurements_both_ways()
    {
        int[] its = [0, 1, 50, 100];
        var flow = new[]
        {
            Series("plain20", 20, false, [3, 2, 1, 1], its, firstConv: 500, lastConv: 1),
            Series("resnet20", 20, true, [2, 1, 1, 1], its),
            Series("resnet110", 110, true, [8, 6, 2, 1], its),
        };
        var shattering = new[] { Line("plain20", 0.2), Line("resnet20", 0.7), Line("plain56", 0.0), Line("resnet56", 0.6) };
        var facts = Findings.GradientFlow(flow, shattering, deepestWarmupEndedAt: 40);
        Assert.Equal(500, facts.AtInitialisation[0].FirstOverLastConv);
        // the rule notebook 08 states: explode above GradientSpreadFactor (100), vanish below its inverse
        Assert.True(facts.AtInitialisation[0].Explodes);
        Assert.False(facts.AtInitialisation[0].Vanishes);
        Assert.False(facts.AtInitialisation[1].Explodes || facts.AtInitialisation[1].Vanishes);
        Assert.False((facts.AtInitialisation[0] with { FirstOverLastConv = Findings.GradientSpreadFactor }).Explodes);   // "more than"
        Assert.True((facts.AtInitialisation[0] with { FirstOverLastConv = 0.9 / Findings.GradientSpreadFactor }).Vanishes);
        Assert.Equal("linear.weight", facts.AtInitialisation[2].MaxRatioLayer);
        Assert.Equal([20, 56], facts.Correlation.Select(p => p.Depth));
        Assert.Equal(0.03, facts.Correlation[0].Distance);
        Assert.True(facts.PlainShattersFaster);          // plain 0.2 → 0.0, residual 0.7 → 0.6: lower at each depth, and falls further
        var w = facts.Warmup!;
        Assert.True(w.GrowsWithDepth);
        Assert.Equal(110, w.Deepest);
        Assert.Equal(0.8, w.StepAtFullRate, 12);
        Assert.Equal(0.08, w.StepAtWarmupRate, 12);
        Assert.Equal(50, w.SnapshotAfterWarmup);          // the first snapshot at or after iteration 40
        Assert.Equal(2, w.RatioAfterWarmup);
        Assert.Equal(0.1, w.RateAfterWarmup);
        Assert.False(w.NeverSawFullRate);
        // a short schedule whose first ÷10 came before the warm-up ended (quick: warm-up to 400, decay at 400): never at 0.1
        var shortRun = flow[2] with { LearningRates = [0.01, 0.01, 0.01, 0.001] };
        var quick = Findings.GradientFlow([flow[0], flow[1], shortRun], shattering, deepestWarmupEndedAt: 40).Warmup!;
        Assert.Equal(0.01, quick.RateAfterWarmup);
        Assert.True(quick.NeverSawFullRate);

        // the other way: the ResNet shatters as fast, the largest ratio does not grow, the warm-up never ended
        var even = new[] { Line("plain20", 0.6), Line("resnet20", 0.7), Line("plain56", 0.4), Line("resnet56", 0.3) };
        var flat = new[] { flow[0], Series("resnet20", 20, true, [9, 1, 1, 1], its), flow[2] };
        var other = Findings.GradientFlow(flat, even, deepestWarmupEndedAt: null);
        Assert.False(other.PlainShattersFaster);
        Assert.False(other.Warmup!.GrowsWithDepth);
        Assert.Null(other.Warmup.RatioAfterWarmup);
        Assert.Null(Findings.GradientFlow([flow[0], flow[1]], shattering.Take(2).ToList(), null).Warmup);   // one ResNet: nothing to compare
    }
}

/// <summary>The heatmap grid draws every network on one colour range.</summary>
public class GradientHeatmapChartTests
{
    [Fact]
    public void Every_heatmap_shares_one_colour_range_and_only_the_last_shows_the_scale()
    {
        var maps = new[]
        {
            new Heatmap("plain20", ["0", "1"], ["1 conv1", "2 linear"], [[-3.2, -1.0], [0.4, 0.1]]),
            new Heatmap("resnet20", ["0", "1", "2"], ["1 conv1", "2 linear"], [[-2.0, -1.0, -0.5], [1.7, 0.0, 0.2]]),
        };
        var html = Plotly.NET.GenericChart.toChartHTML(Figures.Heatmaps(maps, "t", "budget smoke", "log10 ratio"));
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(html, "\"type\":\"heatmap\",\"name\"").Count);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(html, "\"zmin\":-3.5").Count);   // floor of −3.2 to a half
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(html, "\"zmax\":2.0").Count);    // ceiling of 1.7 to a half
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, "\"showscale\":true"));
        Assert.Contains("log10 ratio", html);
        Assert.Throws<ArgumentException>(() => Figures.Heatmaps([], "t", "s", "c"));
    }
}
