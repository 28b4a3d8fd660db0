using ResNetLab.Models;
using ResNetLab.Runtime;
using ResNetLab.Training;

namespace ResNetLab.Tests.Training;

/// <summary>The ETA a training shows: from its recent steps and evaluations, not thrown off by a pause.</summary>
[Collection(GlobalRngCollection.Name)]   // the real training draws from libtorch's global generator
public class PaceTests
{
    [Fact]
    public void A_pause_is_one_slow_step_not_a_slower_run()
    {
        var pace = new Pace();
        Assert.Null(pace.Remaining(100, 1));
        for (var i = 0; i < 50; i++) pace.Step(0.25);
        pace.Step(600);                       // the laptop slept for ten minutes in the middle of a step
        for (var i = 0; i < 50; i++) pace.Step(0.25);
        pace.Evaluation(4);
        pace.Evaluation(5);
        pace.Evaluation(6);
        // 400 steps at the median 0.25 s and 3 evaluations at the median 5 s: 115 s (a session average would say ~2,500 s)
        Assert.Equal(TimeSpan.FromSeconds(400 * 0.25 + 3 * 5), pace.Remaining(400, 3));
    }

    [Fact]
    public void Only_the_recent_window_counts_so_a_busier_machine_shows_at_once()
    {
        var pace = new Pace();
        for (var i = 0; i < 1000; i++) pace.Step(0.2);
        for (var i = 0; i < Pace.Window; i++) pace.Step(0.5);   // another training started beside this one
        Assert.Equal(TimeSpan.FromSeconds(100 * 0.5), pace.Remaining(100, 0));
    }

    [Fact]
    public void Skewed_steps_are_priced_at_their_mean_so_the_eta_is_not_early()
    {
        var pace = new Pace();
        // nine steps in ten take 0.2 s, every tenth 0.5 s (a checkpoint, a collection): 0.23 s a step, though the median is 0.2
        for (var i = 0; i < Pace.Window; i++) pace.Step(i % 10 == 9 ? 0.5 : 0.2);
        Assert.Equal(1000 * 0.23, pace.Remaining(1000, 0)!.Value.TotalSeconds, 6);
        Assert.False(pace.IsPause(0.5));
        Assert.True(pace.IsPause(0.81));    // over 4 × the median
    }

    [Fact]
    public void A_pause_inside_a_real_training_leaves_its_images_per_second_alone()
    {
        const int pausedAt = 30;
        var (_, seen) = TrainResNet8(new Budget("tiny", Iterations: 90, EvalEvery: 90, CheckpointEvery: 90, TrainImages: 512, EvalImages: 128, "tests"),
            e => { if (e.Kind == ProgressKind.Step && e.Iteration == pausedAt) Thread.Sleep(3000); });   // a SIGSTOP, a suspended laptop
        var steps = seen.Where(e => e.Kind == ProgressKind.Step).ToList();
        var before = steps.Where(e => e.Iteration is > 5 and <= pausedAt).Select(e => e.ImagesPerSecond).Order().ToList();
        var typical = before[before.Count / 2];
        // the window holding the pause is dropped: no figure after it reads as if the run had slowed down
        Assert.All(steps.Where(e => e.Iteration > pausedAt),
            e => Assert.True(e.ImagesPerSecond > typical / 2, $"iteration {e.Iteration}: {e.ImagesPerSecond:N0} img/s after the pause, {typical:N0} before"));
        // and the ETA just after the pause is the pace's, not the pause's
        var (etaBefore, etaAfter) = (steps.Single(e => e.Iteration == pausedAt).Remaining!.Value, steps.Single(e => e.Iteration == pausedAt + 1).Remaining!.Value);
        Assert.True(etaAfter < 1.5 * etaBefore, $"ETA {etaBefore} before the pause, {etaAfter} after it");
    }

    [Fact]
    public void A_real_training_reports_an_eta_that_ends_at_zero()
    {
        var (iterations, seen) = TrainResNet8(new Budget("tiny", Iterations: 10, EvalEvery: 5, CheckpointEvery: 5, TrainImages: 512, EvalImages: 128, "tests"));
        Assert.Equal(10, iterations);
        var steps = seen.Where(e => e.Kind == ProgressKind.Step).ToList();
        Assert.NotEmpty(steps);
        Assert.All(steps, e => Assert.True(e.Remaining > TimeSpan.Zero, $"iteration {e.Iteration}: ETA {e.Remaining}"));
        // after the last step only the final evaluation is left, and once it is done, nothing
        Assert.Equal(TimeSpan.Zero, seen.Last(e => e.Kind == ProgressKind.Evaluation).Remaining);
    }

    /// <summary>A real ResNet-8 training on the CIFAR-10 files of data/ under <paramref name="budget"/>: its iterations and every progress event.</summary>
    static (int Iterations, List<TrainingProgress> Seen) TrainResNet8(Budget budget, Action<TrainingProgress>? also = null)
    {
        TorchRuntime.Initialize(DeviceChoice.Cpu);
        var root = TestPaths.TempDir("pace");
        try
        {
            var seen = new List<TrainingProgress>();
            var run = Experiment.RunOrLoad(new RunConfig { Model = "resnet8", Budget = budget },
                new ExperimentOptions { RunsDir = root, Device = DeviceChoice.Cpu, EvalBatchSize = 128, ModelFactory = _ => ModelZoo.Create("resnet8") },
                new SyncProgress<TrainingProgress>(e => { seen.Add(e); also?.Invoke(e); }));
            return (run.Record.Iteration, seen);
        }
        finally { Directory.Delete(root, true); }
    }
}

/// <summary>The planner's price of a run: finished runs' rates without their pauses.</summary>
public class EstimateRateTests
{
    [Fact]
    public void A_paused_run_is_priced_by_its_typical_interval_not_its_wall_time()
    {
        var dir = TestPaths.TempDir("rate");
        try
        {
            var budget = new Budget("tiny", Iterations: 40, EvalEvery: 10, CheckpointEvery: 10, TrainImages: 512, EvalImages: 300, "tests");
            var config = new RunConfig { Model = "resnet8", Budget = budget };
            var folder = Runs.Folder(config.RunName, dir);
            Directory.CreateDirectory(folder);
            // 10 s per interval of 10 iterations and one evaluation, but the third interval held a 1,000 s pause
            var elapsed = new[] { 12.0, 22, 1032, 1042 };
            File.WriteAllLines(Path.Combine(folder, Runs.MetricsFile),
                [Runs.MetricsHeader, .. elapsed.Select((e, i) => FormattableString.Invariant($"{10 * (i + 1)},0.1,1,0.5,1,0.5,100,{e}"))]);
            var record = new RunRecord
            {
                Name = config.RunName, Config = config, ConfigHash = config.Hash, Recipe = config.ResolvedRecipe, Dataset = "CIFAR-10", DataSource = "mirror",
                DataLabel = "test", DataDirectory = "", Split = "", EvalSet = "test", Seed = 0, Device = "cpu", Layout = "nhwc",
                Runtime = new RuntimeInfo("0", "0", "10", "cpu", false, 2, null), Parameters = 1, StartedUtc = DateTime.UtcNow,
                Status = RunStatus.Finished, Iteration = 40, WallSeconds = 1042,
            };
            var interval = TrainingEstimate.Units(config, 20, 10);   // 10 × 128 images + a third of 300 evaluated
            Assert.Equal(interval / 10, TrainingEstimate.Rate(folder, record), 9);
            File.Delete(Path.Combine(folder, Runs.MetricsFile));     // no rows to read: the wall time it is
            Assert.Equal(TrainingEstimate.Units(config, 40) / 1042, TrainingEstimate.Rate(folder, record), 9);
        }
        finally { Directory.Delete(dir, true); }
    }
}
