using System.Diagnostics;
using ResNetLab.Runtime;
using ResNetLab.Training;

namespace ResNetLab.Tests.Robustness;

/// <summary>
/// Issue 25, item 1: a training whose runs folder fills up (a small tmpfs, filled right after the first checkpoint) ends
/// in one error line and exit 1 — no stack trace, no temporary file left, the checkpoint intact — and, with space freed,
/// the same command resumes to the numbers of an uninterrupted run.
/// </summary>
public class DiskFullTests
{
    static (int Code, string Output) Resnet(Process p)
    {
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5))) { p.Kill(true); throw new TimeoutException("resnet took over 5 minutes"); }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    static Process Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "resnet.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["COLUMNS"] = "400";
        return Process.Start(info)!;
    }

    static void Shell(string command)
    {
        using var p = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", command]) { RedirectStandardError = true })!;
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"`{command}` failed: {error} (this test mounts a small tmpfs: it needs root, as on the project's machines and CI)");
    }

    /// <summary>Writes a filler file until the filesystem refuses: the next write of the training finds no space.</summary>
    static string Fill(string dir)
    {
        var filler = Path.Combine(dir, "filler");
        var chunk = new byte[64 * 1024];
        try
        {
            using var f = new FileStream(filler, FileMode.Create);
            while (true) { f.Write(chunk); f.Flush(); }
        }
        catch (IOException e) when (AtomicFile.Refusal(e) is not null) { }
        return filler;
    }

    [Fact]
    public void A_full_disk_ends_in_one_error_and_the_run_resumes_to_the_same_numbers()
    {
        var mount = TestPaths.TempDir("full-disk");
        var elsewhere = TestPaths.TempDir("full-disk-reference");
        Shell($"mount -t tmpfs -o size=8m tmpfs '{mount}'");
        try
        {
            var runs = Path.Combine(mount, "runs");
            string[] train = ["train", "--model", "resnet8", "--budget", "smoke", "--device", "cpu", "--threads", "1"];
            var folder = Path.Combine(runs, "resnet8-A-cifar10-smoke-s0");
            var checkpoint = Path.Combine(folder, Runs.CheckpointFile);

            string filler;
            int code;
            string output;
            using (var first = Start([.. train, "--runs", runs]))
            {
                var deadline = DateTime.UtcNow.AddMinutes(4);
                while (!File.Exists(checkpoint) && !first.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(20);
                Assert.True(File.Exists(checkpoint), "no checkpoint appeared");
                filler = Fill(mount);
                (code, output) = Resnet(first);
            }
            Assert.True(code == 1, $"exit {code}: {output}");
            var errors = output.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
            var error = Assert.Single(errors);
            Assert.Contains("no space left on device", error);
            Assert.Contains(folder, error);
            // which write meets the full disk depends on the machine's speed: a checkpoint, a metrics row, or (on a fast
            // CPU) a weights snapshot — "weights (safetensors) (iter-000020.safetensors)"
            Assert.Matches(@"could not write (the|weights|a) [^()]*(\([^)]+\) )?\([^)]+\) in ", error);
            Assert.Contains("is intact", error);
            Assert.DoesNotContain("   at ", output);
            Assert.DoesNotContain("Unhandled", output);
            Assert.Empty(Directory.EnumerateFiles(mount, "*.tmp", SearchOption.AllDirectories));
            var kept = Checkpoint.ReadState(checkpoint);   // CRC-checked: intact
            Assert.InRange(kept.Iteration, 10, 39);

            // Space freed, the same command resumes from the checkpoint and finishes with an uninterrupted run's numbers.
            File.Delete(filler);
            using (var again = Start([.. train, "--runs", runs])) (code, output) = Resnet(again);
            Assert.True(code == 0, output);
            Assert.Contains("resumed and finished", output);
            using (var reference = Start([.. train, "--runs", elsewhere])) (code, output) = Resnet(reference);
            Assert.True(code == 0, output);
            static IEnumerable<string> Numbers(string runFolder) =>
                File.ReadLines(Path.Combine(runFolder, Runs.MetricsFile)).Select(l => string.Join(',', l.Split(',').Take(6)));
            Assert.Equal(Numbers(Path.Combine(elsewhere, "resnet8-A-cifar10-smoke-s0")), Numbers(folder));
        }
        finally
        {
            Shell($"umount '{mount}'");
            Directory.Delete(mount, true);
            Directory.Delete(elsewhere, true);
        }
    }

    [Fact]
    public void A_read_only_folder_refuses_with_its_name_and_keeps_the_old_file()
    {
        var mount = TestPaths.TempDir("read-only");
        Shell($"mount -t tmpfs -o size=1m tmpfs '{mount}'");
        try
        {
            var record = Path.Combine(mount, "run.json");
            AtomicFile.WriteText(record, "old");
            Shell($"mount -o remount,ro '{mount}'");
            var e = Assert.Throws<DiskWriteException>(() => AtomicFile.WriteText(record, "new", "the run record"));
            Assert.Equal($"could not write the run record (run.json) in {mount}: the filesystem is read-only", e.Message);
            Assert.Equal("old", File.ReadAllText(record));
            Assert.Equal([record], Directory.GetFiles(mount));
        }
        finally
        {
            Shell($"umount '{mount}'");
            Directory.Delete(mount, true);
        }
    }
}
