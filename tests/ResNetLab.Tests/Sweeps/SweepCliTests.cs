using System.Diagnostics;
using System.Text.Json;
using ResNetLab.Training;

namespace ResNetLab.Tests.Sweeps;

/// <summary>
/// `resnet sweep --engine local --jobs 2` against sequential `resnet train` of the same runs at the same thread count
/// (one of them stopped by SIGUSR1 and resumed): same config hashes, same numbers; then status, results and reuse.
/// </summary>
public class SweepCliTests
{
    static ProcessStartInfo Cli(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "resnet.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["COLUMNS"] = "200";
        return info;
    }

    static (int Code, string Output) Run(params string[] args)
    {
        using var p = Process.Start(Cli(args))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(15))) { p.Kill(true); throw new TimeoutException($"resnet {string.Join(" ", args)} took over 15 minutes"); }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>The numbers of a run without its timing columns (images_per_s, elapsed_s).</summary>
    static IReadOnlyList<string> Numbers(string folder) =>
        File.ReadAllLines(Path.Combine(folder, Runs.MetricsFile)).Select(l => string.Join(",", l.Split(',').Take(6))).ToList();

    [Fact]
    public void Local_sweep_with_two_jobs_matches_sequential_training_and_a_resumed_run()
    {
        var parallel = TestPaths.TempDir("sweep-par");
        var sequential = TestPaths.TempDir("sweep-seq");
        try
        {
            string[] names = ["resnet20-A-cifar10-smoke-s0", "plain20-cifar10-smoke-s0"];
            string[] selection = ["--models", "resnet20,plain20", "--budget", "smoke", "--runs", parallel];
            var (code, output) = Run(["sweep", .. selection, "--engine", "local", "--jobs", "2", "--threads", "2", "--device", "cpu"]);
            Assert.True(code == 0, output);
            Assert.Contains("2 at a time, 1 thread(s) each", output);

            // Sequentially, one thread each; resnet20 is stopped by SIGUSR1 after its first checkpoint and resumed.
            string[] train = ["train", "--model", "resnet20", "--budget", "smoke", "--threads", "1", "--device", "cpu", "--runs", sequential];
            var folder = Path.Combine(sequential, names[0]);
            using (var first = Process.Start(Cli(train))!)
            {
                _ = first.StandardOutput.ReadToEndAsync();   // drained so the child never blocks on a full pipe
                var deadline = DateTime.UtcNow.AddMinutes(10);
                while (!File.Exists(Path.Combine(folder, Runs.CheckpointFile)) && !first.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(100);
                Assert.False(first.HasExited, "training ended before its first checkpoint could be interrupted");
                using (var usr1 = Process.Start("kill", ["-USR1", first.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!) usr1.WaitForExit();
                Assert.True(first.WaitForExit(TimeSpan.FromMinutes(5)));
                Assert.Equal(130, first.ExitCode);
            }
            var interrupted = Runs.Load(folder);
            Assert.Equal(RunStatus.Interrupted, interrupted.Status);
            Assert.InRange(interrupted.Iteration, 10, 39);
            (code, output) = Run(train);
            Assert.True(code == 0, output);
            Assert.Contains("resumed and finished", output);
            (code, output) = Run(["train", "--model", "plain20", "--budget", "smoke", "--threads", "1", "--device", "cpu", "--runs", sequential]);
            Assert.True(code == 0, output);

            foreach (var name in names)
            {
                var (a, b) = (Runs.Load(Path.Combine(parallel, name)), Runs.Load(Path.Combine(sequential, name)));
                Assert.Equal((RunStatus.Finished, 1), (a.Status, a.Runtime.Threads));
                Assert.Equal(b.ConfigHash, a.ConfigHash);
                Assert.Equal(Numbers(Path.Combine(sequential, name)), Numbers(Path.Combine(parallel, name)));
                Assert.True(File.ReadAllText(Path.Combine(parallel, name, "sweep.log")).Contains("trained: " + name), name);
            }
            Assert.Equal(2, Runs.Load(Path.Combine(sequential, names[0])).Sessions);

            (code, output) = Run(["sweep", "status", .. selection, "--json"]);
            Assert.True(code == 0, output);
            var status = JsonDocument.Parse(output).RootElement;
            Assert.Equal((2, 2, 0, 0, 0), (status.GetProperty("total").GetInt32(), status.GetProperty("finished").GetInt32(),
                status.GetProperty("running").GetInt32(), status.GetProperty("pending").GetInt32(), status.GetProperty("failed").GetInt32()));

            (code, output) = Run(["results", .. selection, "--json"]);
            Assert.True(code == 0, output);
            var models = JsonDocument.Parse(output).RootElement.GetProperty("models").EnumerateArray().ToList();
            Assert.Equal(["resnet20", "plain20"], models.Select(m => m.GetProperty("model").GetString()));
            Assert.Equal(8.75, models[0].GetProperty("paper").GetDouble());
            Assert.Equal(100 * Runs.Load(Path.Combine(parallel, names[0])).Final!.TestError, models[0].GetProperty("mean").GetDouble(), 3);

            (code, output) = Run(["sweep", .. selection]);
            Assert.True(code == 0, output);
            Assert.Contains("2 finished (reused)", output);
            Assert.Contains("nothing to train", output);

            (code, output) = Run(["sweep", "--plan", "degradation", "--budget", "smoke", "--engine", "pbs"]);
            Assert.Equal(2, code);
            Assert.Contains("--engine 'pbs' is not one of: local, slurm", output);
        }
        finally
        {
            Directory.Delete(parallel, true);
            Directory.Delete(sequential, true);
        }
    }
}
