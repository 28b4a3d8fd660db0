using System.Diagnostics;
using System.Text.Json;
using ResNetLab.Models;
using ResNetLab.Models.Interop;
using ResNetLab.Runtime;
using ResNetLab.Sweeps;
using ResNetLab.Training;

namespace ResNetLab.Tests.Training;

/// <summary>
/// The acceptance path with the real CLI in a child process: `resnet train --model resnet20 --budget smoke` killed
/// (SIGKILL) after its first checkpoint, re-run (resumes), re-run again (reused), then `resnet eval`.
/// </summary>
public class CliTrainTests
{
    static ProcessStartInfo Cli(params string[] args) => Cli(null, args);

    static ProcessStartInfo Cli(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "resnet.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["COLUMNS"] = "200";
        return info;
    }

    static (int Code, string Output) Run(params string[] args) => Run(null, args);

    static (int Code, string Output) Run(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using var p = Process.Start(Cli(environment, args))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5))) { p.Kill(true); throw new TimeoutException($"resnet {string.Join(" ", args)} took over 5 minutes"); }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>
    /// SIGTERM (scancel, a time limit, preemption) and SIGUSR1 (Slurm's --signal ahead of the limit) stop a training with a
    /// checkpoint of the step it reached, exit 130 and say so on one line — in a log written as nohup or a Slurm job file
    /// writes it (no terminal, no COLUMNS), where Spectre used to wrap that line at 80 columns. The run then finishes.
    /// </summary>
    [Fact]
    public async Task Sigterm_and_sigusr1_checkpoint_the_step_reached_and_say_so_on_one_line()
    {
        var runs = TestPaths.TempDir("cli-signal-runs");
        try
        {
            string[] train = ["train", "--model", "resnet20", "--budget", "smoke", "--runs", runs, "--device", "cpu"];
            const string name = "resnet20-A-cifar10-smoke-s0";
            var folder = Path.Combine(runs, name);
            var stoppedAt = 0;
            foreach (var signal in new[] { "TERM", "USR1" })
            {
                var info = Cli(train);
                info.Environment.Remove("COLUMNS");
                using var p = Process.Start(info)!;
                var stdout = p.StandardOutput.ReadToEndAsync();
                var stderr = p.StandardError.ReadToEndAsync();
                var deadline = DateTime.UtcNow.AddMinutes(4);
                // a few steps into this session: the handlers are registered (they are before the first step)
                while ((ProgressFile.TryRead(folder) is not { } seen || seen.Pid != p.Id || seen.Iteration < stoppedAt + 3) && !p.HasExited && DateTime.UtcNow < deadline)
                    Thread.Sleep(100);
                if (p.HasExited) Assert.Fail($"SIG{signal}: the training ended before it was signalled: " + await stdout + await stderr);
                using (var kill = Process.Start("kill", ["-" + signal, p.Id.ToString()])!) kill.WaitForExit();
                Assert.True(p.WaitForExit(TimeSpan.FromMinutes(2)), $"SIG{signal} did not stop the training");
                var output = (await stdout + await stderr).ReplaceLineEndings("\n");
                Assert.True(p.ExitCode == ExitCodes.Interrupted, $"SIG{signal}: exit {p.ExitCode}\n{output}");

                var record = Runs.Load(folder);
                var at = Checkpoint.ReadState(Path.Combine(folder, Runs.CheckpointFile)).Iteration;
                Assert.Equal((RunStatus.Interrupted, at), (record.Status, record.Iteration));
                Assert.InRange(at, stoppedAt + 3, 39);
                Assert.Contains($"\n{name} interrupted at iteration {at:N0}; checkpoint saved, run again to resume\n", "\n" + output);
                stoppedAt = at;
            }
            var (code, finished) = Run(train);
            Assert.True(code == 0, finished);
            Assert.Contains($"resumed from its checkpoint at iteration {stoppedAt:N0} of 40", finished);
            var final = Runs.Load(folder);
            Assert.Equal((RunStatus.Finished, 40, 3), (final.Status, final.Iteration, final.Sessions));
        }
        finally { Directory.Delete(runs, true); }
    }

    [Fact]
    public void Smoke_training_survives_a_kill_is_reused_and_evaluates()
    {
        var runs = TestPaths.TempDir("cli-runs");
        try
        {
            string[] train = ["train", "--model", "resnet20", "--budget", "smoke", "--runs", runs, "--device", "cpu"];
            var folder = Path.Combine(runs, "resnet20-A-cifar10-smoke-s0");
            var checkpoint = Path.Combine(folder, Runs.CheckpointFile);

            using (var first = Process.Start(Cli(train))!)
            {
                var deadline = DateTime.UtcNow.AddMinutes(4);
                while (!File.Exists(checkpoint) && !first.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(200);
                Assert.True(File.Exists(checkpoint), "no checkpoint appeared: " + (first.HasExited ? first.StandardOutput.ReadToEnd() : "timeout"));
                first.Kill(entireProcessTree: true);   // SIGKILL: no chance to write anything more
                first.WaitForExit();
            }
            var killedAt = Checkpoint.ReadState(checkpoint).Iteration;
            Assert.InRange(killedAt, 10, 39);
            Assert.Equal(RunStatus.Running, Runs.Load(folder).Status);

            var (code, output) = Run(train);
            Assert.True(code == 0, output);
            Assert.Contains("resumed and finished", output);
            Assert.Contains($"resumed from its checkpoint at iteration {killedAt:N0} of 40", output);   // a redirected log says where it went on
            var record = Runs.Load(folder);
            Assert.Equal((RunStatus.Finished, 40, 2), (record.Status, record.Iteration, record.Sessions));
            Assert.Equal("mirror", record.DataSource);

            // RESNET_BUDGET picks the budget when --budget is not given: the same smoke run, reused.
            var watch = Stopwatch.StartNew();
            (code, output) = Run(new Dictionary<string, string> { ["RESNET_BUDGET"] = "smoke" }, [.. train.Where((a, i) => a != "--budget" && (i == 0 || train[i - 1] != "--budget"))]);
            Assert.True(code == 0, output);
            Assert.Contains("reused", output);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"reuse took {watch.Elapsed}");

            (code, output) = Run("eval", "--run", folder, "--json");
            Assert.True(code == 0, output);
            var eval = JsonDocument.Parse(output).RootElement;
            Assert.Equal(10_000, eval.GetProperty("images").GetInt32());
            var accuracy = eval.GetProperty("accuracy").GetDouble();
            // The CLI reports what the library's evaluation gives for the same weights (exact counting: ExactEvaluationTests).
            TorchRuntime.Initialize(DeviceChoice.Cpu);
            using (var model = ModelZoo.Create("resnet20"))
            {
                var state = Checkpoint.Load(checkpoint, model, null);
                var data = ResNetLab.Data.CifarData.Load(TestPaths.Cifar10);
                var expected = TestSet.Evaluate(model, data, state.Normalization, TorchSharp.torch.CPU);
                Assert.Equal(expected.Images, eval.GetProperty("images").GetInt32());
                Assert.Equal(expected.Error, eval.GetProperty("error").GetDouble(), 12);
                Assert.Equal(expected.Accuracy, accuracy, 12);
                Assert.Equal(expected.Loss, eval.GetProperty("loss").GetDouble(), 9);
            }
            Assert.InRange(accuracy, 0.12, 1.0);   // 40 iterations: better than chance (0.10)

            // `resnet export` writes the run's weights as torch.save zip and as safetensors: both load back with the
            // checkpoint's exact logits, and evaluate identically under the same normalisation.
            var exported = Path.Combine(runs, "resnet20.pt");
            var safetensors = Path.Combine(runs, "resnet20.safetensors");
            (code, output) = Run("export", "--run", folder, "--format", "pytorch", "--out", exported);
            Assert.True(code == 0, output);
            (code, output) = Run("export", "--run", folder, "--out", safetensors);
            Assert.True(code == 0, output);
            TorchRuntime.Initialize(DeviceChoice.Cpu);
            using (var scope = TorchSharp.torch.NewDisposeScope())
            using (var fromCheckpoint = ModelZoo.Create("resnet20"))
            using (var fromZip = ModelZoo.Create("resnet20"))
            using (var fromSafetensors = ModelZoo.Create("resnet20"))
            {
                Checkpoint.Load(checkpoint, fromCheckpoint, null);
                fromZip.LoadPyTorch(exported);
                fromSafetensors.LoadPyTorch(safetensors);
                var x = TorchSharp.torch.randn(8, 3, 32, 32);
                var logits = new[] { fromCheckpoint, fromZip, fromSafetensors }.Select(m => { m.eval(); return m.call(x); }).ToList();
                Assert.True(logits[1].eq(logits[0]).all().item<bool>(), "torch.save export changed the logits");
                Assert.True(logits[2].eq(logits[0]).all().item<bool>(), "safetensors export changed the logits");
            }
            var viaRun = JsonDocument.Parse(Run("eval", "--run", folder, "--normalize", "cifar", "--json").Output).RootElement;
            foreach (var file in new[] { exported, safetensors })
            {
                var viaFile = JsonDocument.Parse(Run("eval", "--pytorch", file, "--model", "resnet20", "--normalize", "cifar", "--json").Output).RootElement;
                Assert.Equal(viaRun.GetProperty("accuracy").GetDouble(), viaFile.GetProperty("accuracy").GetDouble());
            }

            (code, output) = Run("train", "--model", "resnet20", "--budget", "lots", "--runs", runs);
            Assert.Equal(2, code);
            Assert.Contains("--budget: budget 'lots' is not one of", output);

            // A misspelt flag is an error naming the closest real one, not a silent default (a wasted cluster job).
            (code, output) = Run("train", "--model", "resnet20", "--bugdet", "full", "--runs", runs);
            Assert.Equal(2, code);
            Assert.Contains("unknown flag --bugdet; did you mean --budget?", output);
        }
        finally { Directory.Delete(runs, true); }
    }
}
