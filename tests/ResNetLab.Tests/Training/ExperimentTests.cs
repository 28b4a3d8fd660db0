using ResNetLab.Data;
using ResNetLab.Models;
using ResNetLab.Runtime;
using ResNetLab.Training;
using TorchSharp;
using static TorchSharp.torch;
using static ResNetLab.Tests.TensorAssert;

namespace ResNetLab.Tests.Training;

/// <summary>
/// Tests whose numbers depend on libtorch's global generator (model initialisation from the run's seed) run alone:
/// another test drawing random numbers in parallel would change the weights a seed gives.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalRngCollection
{
    public const string Name = "global torch RNG";
}

/// <summary>The engine end to end on the real data with a small budget and ResNet-8 (n = 1), which trains in seconds.</summary>
[Collection(GlobalRngCollection.Name)]
public class ExperimentTests
{
    public ExperimentTests() => TorchRuntime.Initialize(DeviceChoice.Cpu);

    static readonly Budget Tiny = new("tiny", Iterations: 12, EvalEvery: 4, CheckpointEvery: 4, TrainImages: 1_024, EvalImages: 256, "tests");

    static RunConfig Config(long seed = 0) => new() { Model = "resnet8", Budget = Tiny, Seed = seed };

    static ExperimentOptions Options(string runs, Func<RunConfig, nn.Module<Tensor, Tensor>>? factory = null) => new()
    {
        RunsDir = runs, Device = DeviceChoice.Cpu, EvalBatchSize = 128, ModelFactory = factory ?? (_ => ModelZoo.Create("resnet8")),
    };

    /// <summary>The numbers of a run, without its timings.</summary>
    static IEnumerable<(int, double, double, double, double, double)> Numbers(IEnumerable<MetricsRow> rows) =>
        rows.Select(r => (r.Iteration, r.LearningRate, r.TrainLoss, r.TrainError, r.TestLoss, r.TestError));

    static void AssertSameWeights(string checkpointA, string checkpointB)
    {
        using var a = ModelZoo.Create("resnet8");
        using var b = ModelZoo.Create("resnet8");
        Checkpoint.Load(checkpointA, a, null);
        Checkpoint.Load(checkpointB, b, null);
        foreach (var ((name, x), (_, y)) in a.state_dict().Zip(b.state_dict()))
            Assert.True(Same(x, y), $"{name} differs");
    }

    [Fact]
    public void A_killed_or_interrupted_run_resumes_with_exactly_the_numbers_of_an_uninterrupted_one()
    {
        var root = TestPaths.TempDir("resume");
        try
        {
            var whole = Experiment.RunOrLoad(Config(), Options(Path.Combine(root, "whole")));
            Assert.Equal(RunOutcome.Trained, whole.Outcome);
            Assert.Equal(3, whole.Metrics.Count);
            Assert.Equal([0.1, 0.01, 0.001], whole.Metrics.Select(m => Math.Round(m.LearningRate, 6)));

            // Killed: 6 iterations done, the last checkpoint at 4, run.json still says running.
            var killed = Path.Combine(root, "killed");
            var stopped = Experiment.RunOrLoad(Config(), Options(killed) with { StopAfter = 6 });
            Assert.Equal(RunOutcome.Stopped, stopped.Outcome);
            Assert.Equal(RunStatus.Running, Runs.Load(stopped.Folder).Status);
            Assert.Equal(4, Checkpoint.ReadState(stopped.CheckpointPath).Iteration);
            var resumed = Experiment.RunOrLoad(Config(), Options(killed));
            Assert.Equal(RunOutcome.Resumed, resumed.Outcome);
            Assert.Equal(2, resumed.Record.Sessions);
            Assert.Equal(Numbers(whole.Metrics), Numbers(resumed.Metrics));
            Assert.Equal(Numbers(whole.Metrics), Numbers(Runs.ReadMetrics(resumed.Folder)));
            AssertSameWeights(whole.CheckpointPath, resumed.CheckpointPath);

            // Interrupted (Ctrl-C): a checkpoint is written where it stopped (iteration 7, between checkpoints).
            var interrupted = Path.Combine(root, "interrupted");
            using var cts = new CancellationTokenSource();
            var progress = new SyncProgress<TrainingProgress>(e => { if (e.Iteration == 7) cts.Cancel(); });
            Assert.Throws<OperationCanceledException>(() => Experiment.RunOrLoad(Config(), Options(interrupted), progress, cts.Token));
            var record = Runs.Load(Runs.Folder(Experiment.Resolve(Config()).RunName, interrupted));
            Assert.Equal((RunStatus.Interrupted, 7), (record.Status, record.Iteration));
            var finished = Experiment.RunOrLoad(Config(), Options(interrupted));
            Assert.Equal(Numbers(whole.Metrics), Numbers(finished.Metrics));
            AssertSameWeights(whole.CheckpointPath, finished.CheckpointPath);
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void A_finished_run_is_reused_force_retrains_and_a_different_config_under_the_same_name_is_refused()
    {
        var root = TestPaths.TempDir("reuse");
        try
        {
            var first = Experiment.RunOrLoad(Config(), Options(root));
            var record = first.Record;
            Assert.Equal(RunStatus.Finished, record.Status);
            Assert.Equal("resnet8-A-cifar10-tiny-s0", record.Name);
            Assert.Equal(12, record.Iteration);
            Assert.NotNull(record.Final);
            Assert.Equal(256, record.Final!.EvalImages);
            Assert.Contains(record.DataSource, new[] { "mirror", "official" });
            Assert.Equal("train 1,024 / test 256", record.Split);
            Assert.Equal("cpu", record.Device);
            Assert.Equal("nhwc", record.Layout);
            Assert.Equal("0.107.0", record.Runtime.TorchSharpVersion);
            Assert.True(record.EndedUtc >= record.StartedUtc && record.WallSeconds > 0);

            var frame = Runs.Metrics(first.Folder);
            Assert.Equal(3, frame.Rows.Count);
            Assert.Equal(["iteration", "lr", "train_loss", "train_error", "test_loss", "test_error", "images_per_s", "elapsed_s"],
                         frame.Columns.Select(c => c.Name));
            Assert.Equal(12, (int)frame.Columns["iteration"][2]);
            Assert.Equal(record.Final.TestError, (double)frame.Columns["test_error"][2]);

            var before = File.GetLastWriteTimeUtc(first.CheckpointPath);
            var again = Experiment.RunOrLoad(Config(), Options(root));
            Assert.Equal(RunOutcome.Reused, again.Outcome);
            Assert.Equal(record, again.Record with { Config = record.Config });
            Assert.Equal(before, File.GetLastWriteTimeUtc(first.CheckpointPath));

            var forced = Experiment.RunOrLoad(Config(), Options(root) with { Force = true });
            Assert.Equal(RunOutcome.Trained, forced.Outcome);
            Assert.Equal(Numbers(first.Metrics), Numbers(forced.Metrics));   // same seed, same numbers

            using (new FileStream(Path.Combine(first.Folder, ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
            {
                var busy = Assert.Throws<InvalidOperationException>(() => Experiment.RunOrLoad(Config(), Options(root) with { Force = true }));
                Assert.Contains("another process", busy.Message);
            }

            var clash = Config(seed: 1) with { Name = record.Name };
            var e = Assert.Throws<InvalidOperationException>(() => Experiment.RunOrLoad(clash, Options(root)));
            Assert.Contains("different config", e.Message);
        }
        finally { Directory.Delete(root, true); }
    }

    /// <summary>ResNet-8 whose output becomes NaN from the <paramref name="from"/>-th training forward pass on.</summary>
    sealed class Exploding : nn.Module<Tensor, Tensor>
    {
        readonly ResNetModel inner = ModelZoo.Create("resnet8");
        readonly int from;
        int calls;

        public Exploding(int from) : base("exploding")
        {
            this.from = from;
            register_module("inner", inner);
        }

        public override Tensor forward(Tensor x)
        {
            var y = inner.call(x);
            if (training && ++calls >= from) y = y * float.NaN;
            return y;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    [Fact]
    public void A_non_finite_loss_stops_the_run_and_keeps_the_last_good_checkpoint()
    {
        var root = TestPaths.TempDir("diverge");
        try
        {
            var e = Assert.Throws<TrainingDivergedException>(() =>
                Experiment.RunOrLoad(Config(), Options(root, _ => new Exploding(6))));
            Assert.Contains("loss became NaN at iteration 6", e.Message);
            Assert.Contains("checkpoint (iteration 4)", e.Message);
            var folder = Runs.Folder(Experiment.Resolve(Config()).RunName, root);
            var record = Runs.Load(folder);
            Assert.Equal(RunStatus.Diverged, record.Status);
            Assert.Equal(5, record.Iteration);
            Assert.Equal(4, Checkpoint.ReadState(Path.Combine(folder, Runs.CheckpointFile)).Iteration);
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void Training_steps_leave_no_live_tensors_behind()
    {
        using var model = ModelZoo.Create("resnet8");
        var split = CifarSplit.Make(CifarData.Load(TestPaths.Cifar10), DataSplit.Full, 0, trainLimit: 512, evalLimit: 64);
        using var loader = new CifarLoader(split, Normalization.Cifar, 64, seed: 0, augment: true, CPU);
        using var sgd = new MomentumSgd(model.named_parameters().Select(p => (p.name, p.parameter)), 0.9, 1e-4);
        void StepAt(int t)
        {
            using var scope = NewDisposeScope();
            var (x, y) = loader.TrainBatch(t);
            Trainer.Step(model, sgd, x, y, 0.1);
        }
        for (var t = 0; t < 2; t++) StepAt(t);   // momentum buffers are created on the first step
        var live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (var t = 2; t < 12; t++) StepAt(t);
        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
