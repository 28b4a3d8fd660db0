using ResNetLab.Analysis;
using ResNetLab.Models;
using ResNetLab.Runtime;
using ResNetLab.Training;

namespace ResNetLab.Tests.Training;

/// <summary>The project's committed reference runs: kept from a finished run as its record and metrics only, read back, chosen and labelled.</summary>
[Collection(GlobalRngCollection.Name)]
public class ReferenceRunsTests
{
    public ReferenceRunsTests() => TorchRuntime.Initialize(DeviceChoice.Cpu);

    static readonly Budget Tiny = new("tiny-ref", Iterations: 8, EvalEvery: 4, CheckpointEvery: 4, TrainImages: null, EvalImages: 128, "tests");
    static readonly Budget Shorter = new("tiny-ref4", Iterations: 4, EvalEvery: 2, CheckpointEvery: 4, TrainImages: null, EvalImages: 128, "tests");

    static ExperimentOptions Options(string runs, int? stopAfter = null) =>
        new() { RunsDir = runs, Device = DeviceChoice.Cpu, EvalBatchSize = 128, StopAfter = stopAfter };

    [Fact]
    public void A_finished_run_is_kept_without_weights_and_comes_back_as_the_longest_paper_recipe_curve()
    {
        var root = TestPaths.TempDir("reference");
        try
        {
            var runs = Path.Combine(root, "runs");
            var kept = Path.Combine(root, "reference-runs");
            var longer = Experiment.RunOrLoad(new RunConfig { Model = "resnet8", Budget = Tiny }, Options(runs));
            var shorter = Experiment.RunOrLoad(new RunConfig { Model = "resnet8", Budget = Shorter }, Options(runs));
            var zero = Experiment.RunOrLoad(new RunConfig { Model = "resnet8", Budget = Tiny, Seed = 1, ZeroInitResidual = true }, Options(runs));
            var unfinished = Experiment.RunOrLoad(new RunConfig { Model = "resnet8", Budget = Tiny, Seed = 2 }, Options(runs, stopAfter: 4));

            foreach (var r in new[] { longer, shorter, zero }) ReferenceRuns.Keep(r.Folder, kept);
            var refused = Assert.Throws<InvalidOperationException>(() => ReferenceRuns.Keep(unfinished.Folder, kept));
            Assert.Contains("only finished runs", refused.Message);

            var folder = Path.Combine(kept, longer.Record.Name);
            Assert.Equal(["metrics.csv", "run.json"], Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).Order());
            Assert.Equal(File.ReadAllText(Path.Combine(longer.Folder, "metrics.csv")), File.ReadAllText(Path.Combine(folder, "metrics.csv")));

            var loaded = ReferenceRuns.Load(kept);
            Assert.Equal(3, loaded.Count);
            var chosen = Assert.Single(ReferenceRuns.LongestLike(loaded, [longer.Record.Config, new RunConfig { Model = "plain8", Budget = Tiny }]));
            Assert.Equal(longer.Record.Name, chosen.Record.Name);   // the longer paper-recipe run, not the zero-init one
            Assert.Equal(longer.Metrics.Select(m => m.TestError), chosen.Metrics.Select(m => m.TestError));
            // beside a zero-init run (the depth budget's) the project's zero-init run; beside a paper-init one the paper's
            Assert.Equal([zero.Record.Name], ReferenceRuns.LongestLike(loaded, [zero.Record.Config]).Select(r => r.Record.Name));
            Assert.Equal([longer.Record.Name, zero.Record.Name],
                         ReferenceRuns.LongestLike(loaded, [shorter.Record.Config, zero.Record.Config, longer.Record.Config]).Select(r => r.Record.Name));
            Assert.Empty(ReferenceRuns.LongestLike(loaded, [new RunConfig { Model = "plain8", Budget = Tiny }]));

            var curve = Assert.Single(RunAnalysis.ReferenceCurves([chosen]));
            Assert.StartsWith("resnet8 · 8 it · this project (seed ", curve.Label);
            Assert.Equal(longer.Metrics.Select(m => 100 * m.TrainError), curve.TrainErrorPercent);
            Assert.Contains("zero-init", Assert.Single(RunAnalysis.Curves([zero])).Label);
            Assert.Empty(ReferenceRuns.Load(Path.Combine(root, "none")));

            // Seed tables keep zero-init runs apart from the paper-init ones of the same model, with training error and time.
            var stats = RunAnalysis.SeedStats([longer, zero]);
            Assert.Equal(2, stats.Count);
            var z = Assert.Single(stats, s => s.Label.Contains("zero-init"));
            Assert.Equal(100 * zero.Metrics[^1].TrainError, z.TrainMeanPercent, 9);
            Assert.Equal(zero.Record.WallSeconds, z.MeanWallSeconds, 9);
            Assert.True(double.IsNaN(z.TrainStdPercent));

            // A caller that reads only records (notebook 02) gets the committed record of a run it lacks, and trains nothing;
            // a run it has comes first, and a run nobody committed trains.
            var fresh = Path.Combine(root, "fresh-runs");
            var served = Experiment.RunOrLoad(longer.Record.Config, Options(fresh) with { ProjectRecords = kept });
            Assert.Equal(Path.Combine(kept, longer.Record.Name), served.Folder);
            Assert.Equal(RunOutcome.Reused, served.Outcome);
            Assert.Equal(longer.Metrics.Select(m => m.TrainError), served.Metrics.Select(m => m.TrainError));
            Assert.False(Directory.Exists(Path.Combine(fresh, longer.Record.Name)));
            Assert.True(ReferenceRuns.IsCommitted(served.Folder, kept));
            Assert.False(ReferenceRuns.IsCommitted(longer.Folder, kept));
            Assert.Equal(longer.Folder, Experiment.RunOrLoad(longer.Record.Config, Options(runs) with { ProjectRecords = kept }).Folder);
            var other = Experiment.RunOrLoad(longer.Record.Config with { Seed = 5 }, Options(fresh) with { ProjectRecords = kept });
            Assert.Equal(RunOutcome.Trained, other.Outcome);
            Assert.Null(ReferenceRuns.Match(longer.Record.Config with { Seed = 5 }, kept));
            Assert.Null(ReferenceRuns.Match(longer.Record.Config with { ZeroInitResidual = true }, kept));   // same model, another run
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }
}
