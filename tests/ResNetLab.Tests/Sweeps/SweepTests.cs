using ResNetLab.Models;
using System.Diagnostics;
using System.Text.Json;
using ResNetLab.Analysis;
using ResNetLab.Runtime;
using ResNetLab.Sweeps;
using ResNetLab.Training;

namespace ResNetLab.Tests.Sweeps;

/// <summary>Sweep planning, manifests, job scripts, status, the run lock and the seed table — no training.</summary>
public class SweepTests
{
    [Fact]
    public void A_plan_over_seeds_lists_every_run_once_with_the_notebooks_run_names()
    {
        var runs = new SweepRequest("degradation", null, Budget.Smoke, 2).Runs();
        var plan = Experiments.Degradation(Budget.Smoke).AllRuns.ToList();
        Assert.Equal(plan.Count * 2, runs.Count);
        Assert.Equal(runs.Count, runs.Select(r => r.RunName).Distinct().Count());
        Assert.Contains(runs, r => r.RunName == "resnet56-A-cifar10-smoke-s1");
        // Seed 0 is the plan's own run: the notebooks reuse what the sweep trained.
        Assert.All(plan, p => Assert.Contains(runs, r => r.Hash == p.Hash));

        var models = new SweepRequest(null, SweepRequest.ParseModels("resnet20, plain20"), Budget.Smoke, 3).Runs();
        Assert.Equal(["resnet20-A-cifar10-smoke-s0", "resnet20-A-cifar10-smoke-s1", "resnet20-A-cifar10-smoke-s2",
                      "plain20-cifar10-smoke-s0", "plain20-cifar10-smoke-s1", "plain20-cifar10-smoke-s2"], models.Select(r => r.RunName));
        // --precision bf16: the bf16 twins (their own folders), the fp32/bf16 equivalence as two sweeps.
        var bf16 = new SweepRequest(null, ["resnet20"], Budget.Quick, 3) { Precision = Precision.Bf16 };
        Assert.Equal(["resnet20-A-cifar10-quick-bf16-s0", "resnet20-A-cifar10-quick-bf16-s1", "resnet20-A-cifar10-quick-bf16-s2"],
                     bf16.Runs().Select(r => r.RunName));
        Assert.Equal("resnet20-quick-bf16", bf16.Label);
        // Without --seeds a plan keeps its own (very-deep at full: five ResNet-110 seeds).
        Assert.Equal(5, new SweepRequest("very-deep", null, Budget.Full, null).Runs().Count(r => r.Model == "resnet110"));
    }

    [Theory]
    [InlineData("nonsense", null, "plan 'nonsense' is not one of: degradation, shortcut-options")]
    [InlineData(null, "resnet20,resnet9000", "unknown model 'resnet9000'")]
    [InlineData(null, null, "give exactly one of a plan (degradation,")]
    [InlineData("degradation", "resnet20", "give exactly one of a plan")]
    public void Bad_selections_say_what_is_wrong(string? plan, string? models, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => new SweepRequest(plan, SweepRequest.ParseModels(models), Budget.Smoke, null).Runs());
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Manifest_round_trips_and_the_job_script_maps_array_index_to_run()
    {
        var dir = TestPaths.TempDir("manifest");
        try
        {
            var runs = new SweepRequest("shortcut-options", null, Budget.Smoke, 2).Runs();
            var manifest = new SweepManifest { Label = "shortcut-options-smoke", RunsDir = dir, DataDir = "/data", Device = "cuda", Threads = 8, Runs = runs };
            var path = manifest.Write();
            var back = SweepManifest.Read(path);
            Assert.Equal(runs.Select(r => r.Hash), back.Runs.Select(r => r.Hash));
            Assert.Equal(manifest.Folder, back.Folder);
            Assert.Equal(runs[3].RunName, back.At(3, path).RunName);
            Assert.Contains("outside the manifest", Assert.Throws<ArgumentException>(() => back.At(runs.Count, path)).Message);

            var script = SlurmSweep.Script(manifest, path, ["/usr/bin/dotnet", "/opt/resnet.dll"],
                new SlurmResources { Partition = "gpu", Time = "12:00:00", Cpus = 8, Mem = "16G", Gres = "gpu:1", Account = "lab", SignalSeconds = 300 });
            foreach (var line in new[] { $"#SBATCH --array=0-{runs.Count - 1}", "#SBATCH --partition=gpu", "#SBATCH --time=12:00:00", "#SBATCH --cpus-per-task=8",
                                         "#SBATCH --mem=16G", "#SBATCH --gres=gpu:1", "#SBATCH --account=lab", "#SBATCH --signal=B:USR1@300", "#SBATCH --requeue" })
                Assert.Contains(line + "\n", script);
            Assert.Contains($"runs=({string.Join(" ", runs.Select(r => r.RunName))})", script);
            Assert.Contains($"/usr/bin/dotnet /opt/resnet.dll sweep task --manifest {path} --index \"$task\"", script);

            // The script's own logic: array task 3 writes its log into run 3's folder and passes signals on.
            var fake = Path.Combine(dir, "fake-resnet.sh");
            File.WriteAllText(fake, "#!/bin/bash\necho \"task args: $*\"\nexit 0\n");
            var local = SlurmSweep.Script(manifest, path, ["bash", fake], new SlurmResources());
            var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(local);
            psi.Environment["SLURM_ARRAY_TASK_ID"] = "3";
            psi.Environment["SLURM_ARRAY_JOB_ID"] = "77";
            using (var p = Process.Start(psi)!) { p.WaitForExit(); Assert.Equal(0, p.ExitCode); }
            var log = File.ReadAllText(Path.Combine(dir, runs[3].RunName, SweepTaskRecord.LogFile));
            Assert.Contains("slurm task 77_3", log);
            Assert.Contains($"task args: sweep task --manifest {path} --index 3", log);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void The_run_lock_excludes_a_second_holder_and_takes_over_stale_locks()
    {
        var dir = TestPaths.TempDir("lock");
        try
        {
            var path = RunLock.PathIn(dir);
            using (RunLock.Acquire(dir))
            {
                Assert.Equal(RunLock.LockState.Held, RunLock.Inspect(dir).State);
                Assert.Contains("being trained by another process right now (pid " + Environment.ProcessId,
                    Assert.Throws<InvalidOperationException>(() => RunLock.Acquire(dir)).Message);
            }
            Assert.False(File.Exists(path));

            // A dead process on this host: stale at once.
            var dead = Process.Start("true")!;
            dead.WaitForExit();
            Write(path, new RunLockHolder(Environment.MachineName, dead.Id, 0, DateTime.UtcNow, null));
            Assert.Equal(RunLock.LockState.Stale, RunLock.Inspect(dir).State);
            using (RunLock.Acquire(dir)) Assert.Equal(Environment.ProcessId, Read(path).Pid);

            // Another node: held while its heartbeat is fresh, stale after StaleAfter without one.
            Write(path, new RunLockHolder("node-17", 4242, 0, DateTime.UtcNow, "99_3"));
            Assert.Contains("pid 4242 on node-17, Slurm job 99_3", Assert.Throws<InvalidOperationException>(() => RunLock.Acquire(dir)).Message);
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow - RunLock.StaleAfter - TimeSpan.FromMinutes(1));
            Assert.Equal(RunLock.LockState.Stale, RunLock.Inspect(dir).State);
            using (RunLock.Acquire(dir)) Assert.Equal(Environment.MachineName, Read(path).Host);
        }
        finally { Directory.Delete(dir, true); }

        static void Write(string path, RunLockHolder h) => File.WriteAllText(path, JsonSerializer.Serialize(h, RunJson.Options));
        static RunLockHolder Read(string path) => JsonSerializer.Deserialize<RunLockHolder>(File.ReadAllText(path), RunJson.Options)!;
    }

    [Fact]
    public void Status_tells_finished_running_pending_and_failed_apart()
    {
        var dir = TestPaths.TempDir("status");
        try
        {
            var runs = new SweepRequest(null, ["resnet20"], Budget.Smoke, 5).Runs();
            string Folder(int i) => Runs.Folder(runs[i].RunName, dir);
            new RunFolder(Folder(0)).SaveRecord(Record(runs[0], RunStatus.Finished, 40, 0.25));
            new RunFolder(Folder(1)).SaveRecord(Record(runs[1], RunStatus.Running, 10, null, wall: 30));
            using var held = RunLock.Acquire(Folder(1));
            new RunFolder(Folder(2)).SaveRecord(Record(runs[2], RunStatus.Interrupted, 20, null));
            new RunFolder(Folder(3)).SaveRecord(Record(runs[3], RunStatus.Failed, 20, null) with { Message = "boom" });
            File.WriteAllText(Path.Combine(Folder(3), SweepTaskRecord.LogFile), "line 1\nerror: boom\n");

            var report = SweepStatus.Of("t", runs, dir);
            Assert.Equal((5, 1, 1, 2, 1), (report.Total, report.Finished, report.Running, report.Pending, report.Failed));
            Assert.Equal([RunState.Finished, RunState.Running, RunState.Pending, RunState.Failed, RunState.Pending], report.Runs.Select(r => r.State));
            Assert.Equal(25, report.Runs[0].TestErrorPercent!.Value, 9);
            Assert.Equal(90, report.Runs[1].Progress!.EtaSeconds!.Value, 9);   // 30 s for 10 of 40 iterations
            // status says what the run's next start will do (Experiment.Decide): without a checkpoint it starts over
            Assert.Contains("stopped at iteration 20 with no checkpoint; starts over", report.Runs[2].Message);
            File.WriteAllBytes(Path.Combine(Folder(2), Runs.CheckpointFile), [0]);
            Assert.Contains("interrupted at iteration 20; resumes from its checkpoint", SweepStatus.Line(runs[2], Folder(2)).Message);
            Assert.Equal(["line 1", "error: boom"], report.Runs[3].LogTail);
            Assert.Equal("not started", report.Runs[4].Message);

            var json = JsonDocument.Parse(JsonSerializer.Serialize(report, RunJson.Options)).RootElement;
            foreach (var key in new[] { "total", "finished", "running", "pending", "failed" }) Assert.True(json.TryGetProperty(key, out _), key);

            // A task that crashed before any record (bad data, say): failed, from its exit code.
            new SweepTaskRecord("h", 1, null, DateTime.UtcNow, DateTime.UtcNow, 1, "no data").Write(Folder(4));
            Assert.Equal(RunState.Failed, SweepStatus.Line(runs[4], Folder(4)).State);
            new SweepTaskRecord("h", 1, null, DateTime.UtcNow, DateTime.UtcNow, ExitCodes.Interrupted, "stopped").Write(Folder(4));
            Assert.Equal(RunState.Pending, SweepStatus.Line(runs[4], Folder(4)).State);

            // A plan that reads weight snapshots (08, 09): the finished run without any (trained before 0.4) trains again.
            Assert.False(new SweepRequest(null, ["resnet20"], Budget.Smoke, 1).MeasuresSnapshots);
            Assert.True(new SweepRequest("gradient-flow", null, Budget.Smoke, null).MeasuresSnapshots);
            Assert.False(new SweepRequest("degradation", null, Budget.Smoke, null).MeasuresSnapshots);
            var outdated = SweepStatus.Line(runs[0], Folder(0), requireSnapshots: true);
            Assert.Equal((RunState.Pending, Snapshots.MissingReason), (outdated.State, outdated.Message));
            Directory.CreateDirectory(Path.Combine(Folder(0), Snapshots.FolderName));
            File.WriteAllText(Path.Combine(Folder(0), Snapshots.FolderName, Snapshots.FileName(0)), "");
            Assert.Equal(RunState.Finished, SweepStatus.Line(runs[0], Folder(0), requireSnapshots: true).State);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void The_seed_table_gives_mean_sample_std_best_and_n_beside_table_6()
    {
        var runs = new SweepRequest(null, ["resnet110", "plain20"], Budget.Smoke, 3).Runs();
        double[] errors = [0.06, 0.07, 0.08, 0.5, 0.5, 0.6];
        var results = runs.Select((r, i) => new RunResult("/x", Record(r, RunStatus.Finished, 40, errors[i]),
            [new MetricsRow(40, 0.001, 1, 0.1, 1, errors[i], 100, 10)], RunOutcome.Reused)).ToList();
        var table = RunAnalysis.SeedStats(results);
        var r110 = table.Single(s => s.Model == "resnet110");
        Assert.Equal((3, 7.0, 1.0, 6.0), (r110.N, Math.Round(r110.MeanPercent, 9), Math.Round(r110.StdPercent, 9), Math.Round(r110.BestPercent, 9)));
        Assert.Equal("6.61 ± 0.16 (best 6.43), 5 runs", r110.PaperText);
        var plain = table.Single(s => s.Model == "plain20");
        Assert.Equal((3, Math.Round(100 * 1.6 / 3, 9)), (plain.N, Math.Round(plain.MeanPercent, 9)));
        Assert.Null(plain.PaperPercent);
        var frame = RunAnalysis.SeedSummary(results);
        Assert.Equal(7.0, (double)frame["mean test error (%)"][0]!);
        Assert.Equal(3, (int)frame["seeds"][0]!);
    }

    static RunRecord Record(RunConfig c, RunStatus status, int iteration, double? testError, double wall = 10) => new()
    {
        Name = c.RunName, Config = c, ConfigHash = c.Hash, Recipe = c.ResolvedRecipe, Dataset = "CIFAR-10", DataSource = "mirror",
        DataLabel = "test", DataDirectory = "/data", Split = "train 2,560 / test 500", EvalSet = "test", Seed = c.Seed, Device = "cpu",
        Runtime = new RuntimeInfo("0.107", "2.10", "10", "cpu", false, 1, null), Parameters = 1, StartedUtc = DateTime.UtcNow,
        Status = status, Iteration = iteration, WallSeconds = wall,
        Final = testError is { } e ? new FinalMetrics(1, 0.1, 1, e, 500) : null,
    };
}
