using System.Diagnostics;
using System.Text.Json;
using ResNetLab.Models.Interop;
using ResNetLab.Runtime;
using ResNetLab.Training;
using Zoo = ResNetLab.Models.Models;

namespace ResNetLab.Tests.Training;

/// <summary>
/// The acceptance path with the real CLI in a child process: `resnet train --model resnet20 --budget smoke` killed
/// (SIGKILL) after its first checkpoint, re-run (resumes), re-run again (reused), then `resnet eval`.
/// </summary>
public class CliTrainTests
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
        if (!p.WaitForExit(TimeSpan.FromMinutes(5))) { p.Kill(true); throw new TimeoutException($"resnet {string.Join(" ", args)} took over 5 minutes"); }
        return (p.ExitCode, stdout.Result + stderr.Result);
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
            var record = Runs.Load(folder);
            Assert.Equal((RunStatus.Finished, 40, 2), (record.Status, record.Iteration, record.Sessions));
            Assert.Equal("mirror", record.DataSource);

            var watch = Stopwatch.StartNew();
            (code, output) = Run(train);
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
            using (var model = Zoo.Create("resnet20"))
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

            // The same weights exported to a PyTorch file evaluate identically under the same normalisation.
            TorchRuntime.Initialize(DeviceChoice.Cpu);
            var exported = Path.Combine(runs, "resnet20.pt");
            using (var model = Zoo.Create("resnet20"))
            {
                Checkpoint.Load(checkpoint, model, null);
                model.SavePyTorch(exported);
            }
            var viaRun = JsonDocument.Parse(Run("eval", "--run", folder, "--normalize", "cifar", "--json").Output).RootElement;
            var viaPyTorch = JsonDocument.Parse(Run("eval", "--pytorch", exported, "--model", "resnet20", "--normalize", "cifar", "--json").Output).RootElement;
            Assert.Equal(viaRun.GetProperty("accuracy").GetDouble(), viaPyTorch.GetProperty("accuracy").GetDouble());

            (code, output) = Run("train", "--model", "resnet20", "--budget", "lots", "--runs", runs);
            Assert.Equal(2, code);
            Assert.Contains("--budget 'lots' is not one of", output);
        }
        finally { Directory.Delete(runs, true); }
    }
}
