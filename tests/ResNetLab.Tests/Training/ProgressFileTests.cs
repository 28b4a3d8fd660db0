using System.Text.Json.Nodes;
using ResNetLab.Models;
using ResNetLab.Runtime;
using ResNetLab.Training;

namespace ResNetLab.Tests.Training;

/// <summary>runs/&lt;name&gt;/progress.json: throttled, complete at every evaluation, atomic, readable from outside.</summary>
public class ProgressFileTests
{
    static TrainingProgress Event(ProgressKind kind, int iteration, double? test = null) =>
        new("r1", kind, iteration, 40, 0.1, false, 2.0, 0.75, test is null ? null : 2.1, test, 123.4,
            TimeSpan.FromSeconds(iteration), TimeSpan.FromSeconds(40 - iteration));

    sealed class Recorder : IProgress<TrainingProgress>
    {
        public List<TrainingProgress> Seen { get; } = [];
        public void Report(TrainingProgress value) => Seen.Add(value);
    }

    [Fact]
    public void Steps_are_throttled_evaluations_always_written_and_every_event_passed_on()
    {
        var dir = TestPaths.TempDir("progress");
        try
        {
            var now = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
            var inner = new Recorder();
            var file = new ProgressFile(dir, inner, TimeSpan.FromSeconds(1), () => now);
            file.Report(Event(ProgressKind.Step, 1));                     // written (first)
            now = now.AddMilliseconds(300); file.Report(Event(ProgressKind.Step, 2));   // throttled
            now = now.AddMilliseconds(300); file.Report(Event(ProgressKind.Evaluation, 3, test: 0.5));   // always
            Assert.Equal(3, ProgressFile.TryRead(dir)!.Iteration);
            now = now.AddMilliseconds(300); file.Report(Event(ProgressKind.Step, 4));   // throttled: the evaluation stays readable
            Assert.Equal(3, ProgressFile.TryRead(dir)!.Iteration);
            now = now.AddMilliseconds(800); file.Report(Event(ProgressKind.Step, 5));   // 1.1 s after the last write
            Assert.Equal(3, file.Writes);
            Assert.Equal([1, 2, 3, 4, 5], inner.Seen.Select(e => e.Iteration));

            var s = ProgressFile.TryRead(dir)!;
            Assert.Equal(("r1", "training", 5, 40), (s.Run, s.State, s.Iteration, s.Iterations));
            Assert.Null(s.TestError);                 // what the last written event said
            Assert.Equal(123.4, s.ImagesPerS);
            Assert.Equal(35, s.EtaS);
            Assert.Equal(Environment.ProcessId, s.Pid);
            Assert.True(s.WriterAlive());
            Assert.Single(Directory.GetFiles(dir));   // no temp files left behind
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void The_file_has_the_field_names_other_tools_read()
    {
        var dir = TestPaths.TempDir("progress-json");
        try
        {
            new ProgressFile(dir).Report(Event(ProgressKind.Finished, 40, test: 0.25));
            var json = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(dir, ProgressFile.FileName)))!;
            foreach (var field in new[] { "run", "state", "iteration", "iterations", "train_error", "test_error", "images_per_s", "elapsed_s", "eta_s", "updated_utc", "pid" })
                Assert.True(json.ContainsKey(field), $"progress.json lacks '{field}': {json}");
            Assert.Equal("finished", (string?)json["state"]);
            Assert.Null(ProgressFile.TryRead(Path.Combine(dir, "no-such-run")));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public async Task A_reader_never_sees_a_half_written_file()
    {
        var dir = TestPaths.TempDir("progress-atomic");
        try
        {
            var file = new ProgressFile(dir, interval: TimeSpan.Zero);
            file.Report(Event(ProgressKind.Step, 0));
            using var stop = new CancellationTokenSource();
            var writer = Task.Run(() =>
            {
                for (var i = 1; !stop.IsCancellationRequested; i++) file.Report(Event(ProgressKind.Step, i % 40));
            });
            var reads = 0;
            var until = DateTime.UtcNow.AddSeconds(1.5);
            while (DateTime.UtcNow < until)
            {
                Assert.NotNull(ProgressFile.TryRead(dir));   // null would mean a torn or missing file
                reads++;
            }
            stop.Cancel();
            await writer;
            Assert.True(reads > 50 && file.Writes > 50, $"{reads} reads, {file.Writes} writes");
        }
        finally { Directory.Delete(dir, true); }
    }
}

/// <summary>Training through <see cref="Experiment.RunOrLoad"/> leaves a progress file a watcher can follow.</summary>
[Collection(GlobalRngCollection.Name)]
public class ProgressFileRunTests
{
    [Fact]
    public void A_run_writes_its_progress_file_ends_it_finished_and_records_its_memory()
    {
        TorchRuntime.Initialize(DeviceChoice.Cpu);
        var runs = TestPaths.TempDir("progress-run");
        try
        {
            var budget = new Budget("tiny", Iterations: 8, EvalEvery: 4, CheckpointEvery: 4, TrainImages: 512, EvalImages: 128, "tests");
            Func<RunConfig, TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>> factory = _ => ModelZoo.Create("resnet8");
            var config = Experiment.Resolve(new RunConfig { Model = "resnet8", Budget = budget });
            var seen = new List<ProgressSnapshot?>();
            var watcher = new Watch(e => { if (e.Kind == ProgressKind.Evaluation) seen.Add(ProgressFile.TryRead(Runs.Folder(config.RunName, runs))); });
            var result = Experiment.RunOrLoad(config, new ExperimentOptions { RunsDir = runs, Device = DeviceChoice.Cpu, EvalBatchSize = 128, ModelFactory = factory }, watcher);
            // at each evaluation, the file already says so (written before the event reaches the caller's observer)
            Assert.Equal([4, 8], seen.Select(s => s!.Iteration));
            Assert.All(seen, s => Assert.NotNull(s!.TestError));
            var last = ProgressFile.TryRead(result.Folder)!;
            Assert.Equal(("finished", 8, 8), (last.State, last.Iteration, last.Iterations));
            Assert.Equal(config.RunName, last.Run);

            // run.json: resident memory after the first and the latest evaluation (issue 25, item 6: flat = small growth)
            var r = Runs.Load(result.Folder);
            Assert.InRange(r.RssFirstEvalMb!.Value, 50, r.PeakRssMb);
            Assert.InRange(r.RssLastEvalMb!.Value, 50, r.PeakRssMb);
            Assert.Equal(100 * (r.RssLastEvalMb - r.RssFirstEvalMb) / r.RssFirstEvalMb, r.RssGrowthPercent);
        }
        finally { Directory.Delete(runs, true); }
    }

    sealed class Watch(Action<TrainingProgress> onEvent) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => onEvent(value);
    }
}
