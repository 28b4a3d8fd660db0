using ResNetLab.Models;
using ResNetLab.Runtime;
using ResNetLab.Training;
using static ResNetLab.Tests.TensorAssert;

namespace ResNetLab.Tests.Training;

/// <summary>Weights kept at a few iterations (notebook 08 reads them instead of retraining).</summary>
[Collection(GlobalRngCollection.Name)]
public class SnapshotTests
{
    public SnapshotTests() => TorchRuntime.Initialize(DeviceChoice.Cpu);

    static readonly Budget Tiny = new("tiny-snap", Iterations: 12, EvalEvery: 4, CheckpointEvery: 4, TrainImages: 1_024, EvalImages: 256, "tests");

    static ExperimentOptions Options(string runs) => new()
    {
        RunsDir = runs, Device = DeviceChoice.Cpu, EvalBatchSize = 128, ModelFactory = _ => ModelZoo.Create("resnet8"),
    };

    [Fact]
    public void The_schedule_is_1_2_5_per_decade_plus_the_decays_and_the_end()
    {
        Assert.Equal([0, 1, 2, 5, 10, 20, 50, 100, 200, 400, 500, 600, 800], Snapshots.Iterations(Budget.Quick.Recipe()));
        Assert.Equal([0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 32_000, 48_000, 50_000, 64_000],
                     Snapshots.Iterations(Budget.Full.Recipe()));
        Assert.Equal([0, 1], Snapshots.Iterations(TrainingRecipe.Paper.ScaledTo(1)));
    }

    [Fact]
    public void A_run_keeps_its_initial_and_final_weights_and_a_resumed_run_writes_the_same_snapshots()
    {
        var root = TestPaths.TempDir("snapshots");
        try
        {
            var config = new RunConfig { Model = "resnet8", Budget = Tiny, Seed = 3 };
            var whole = Experiment.RunOrLoad(config, Options(Path.Combine(root, "whole")));
            var folder = new RunFolder(whole.Folder);
            var expected = Snapshots.Iterations(Tiny.Recipe());
            Assert.Equal([0, 1, 2, 5, 6, 9, 10, 12], expected);
            Assert.Equal(expected, folder.ListSnapshots().Select(s => s.Iteration));

            // Iteration 0 is the seed's initialisation; the last one is the trained (checkpointed) model.
            TorchRuntime.Seed(3);
            using var fresh = (ResNetModel)ModelZoo.Create("resnet8");
            using var first = (ResNetModel)ModelZoo.Create("resnet8");
            Snapshots.Load(folder.ListSnapshots()[0].Path, first);
            foreach (var ((name, x), (_, y)) in fresh.state_dict().Zip(first.state_dict()))
                Assert.True(Same(x, y), $"{name}: snapshot 0 is not the initialisation");
            using var last = (ResNetModel)ModelZoo.Create("resnet8");
            using var trained = (ResNetModel)ModelZoo.Create("resnet8");
            Snapshots.Load(folder.ListSnapshots()[^1].Path, last);
            Checkpoint.Load(whole.CheckpointPath, trained, null);
            foreach (var ((name, x), (_, y)) in trained.state_dict().Zip(last.state_dict()))
                Assert.True(Same(x, y), $"{name}: the last snapshot is not the trained model");
            Assert.False(Same(fresh.state_dict()["conv1.weight"], last.state_dict()["conv1.weight"]), "training changed nothing");

            // Killed after 7 iterations (checkpoint at 4), resumed: every snapshot byte-identical to the uninterrupted run's.
            var killed = Path.Combine(root, "killed");
            Experiment.RunOrLoad(config, Options(killed) with { StopAfter = 7 });
            var resumed = Experiment.RunOrLoad(config, Options(killed));
            Assert.Equal(RunOutcome.Resumed, resumed.Outcome);
            var again = new RunFolder(resumed.Folder).ListSnapshots();
            Assert.Equal(expected, again.Select(s => s.Iteration));
            foreach (var ((i, a), (_, b)) in folder.ListSnapshots().Zip(again))
                Assert.True(File.ReadAllBytes(a).AsSpan().SequenceEqual(File.ReadAllBytes(b)), $"snapshot {i} differs after a resume");

            // A finished run without snapshots (as trained before 0.4) is reused, unless the caller reads them: then it is
            // retrained — the same numbers, now with its snapshots.
            Directory.Delete(folder.SnapshotsPath, recursive: true);
            Assert.False(Snapshots.Kept(whole.Folder));
            Assert.Equal(RunOutcome.Reused, Experiment.RunOrLoad(config, Options(Path.Combine(root, "whole"))).Outcome);
            var retrained = Experiment.RunOrLoad(config, Options(Path.Combine(root, "whole")) with { RequireSnapshots = true });
            Assert.Equal(RunOutcome.Trained, retrained.Outcome);
            Assert.Equal(expected, folder.ListSnapshots().Select(s => s.Iteration));
            Assert.Equal(whole.Metrics.Select(m => (m.Iteration, m.TestError)), retrained.Metrics.Select(m => (m.Iteration, m.TestError)));
            Assert.Equal(1, retrained.Record.Sessions);
            Assert.Equal(RunOutcome.Reused, Experiment.RunOrLoad(config, Options(Path.Combine(root, "whole")) with { RequireSnapshots = true }).Outcome);

            // A forced retrain starts the folder over, snapshots included.
            new RunFolder(resumed.Folder).Clear();
            Assert.Empty(new RunFolder(resumed.Folder).ListSnapshots());
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
