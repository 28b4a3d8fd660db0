using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ResNetLab.Sweeps;

/// <summary>
/// `--engine local`: the sweep's runs on this machine, <c>jobs</c> at a time, each a child `resnet sweep task` (the
/// same entry point a Slurm array task runs), its output appended to the run folder's sweep.log.
/// </summary>
public static class LocalSweep
{
    /// <summary>SIGTERM's number: how a local sweep stops its children (they checkpoint and exit 130).</summary>
    public const int SigTerm = 15;

    /// <summary>Run every manifest task as a child process, <paramref name="jobs"/> at a time; returns each one's exit code.</summary>
    public static IReadOnlyList<(RunConfigIndex Run, int ExitCode)> Run(SweepManifest manifest, string manifestPath, IReadOnlyList<string> resnetCommand,
                                                                       int jobs, Action<string> log, CancellationToken cancellation)
    {
        if (jobs < 1) throw new ArgumentException($"--jobs {jobs} must be at least 1");
        var queue = new Queue<int>(Enumerable.Range(0, manifest.Runs.Count));
        var running = new List<(int Index, Process Process)>();
        var done = new List<(RunConfigIndex, int)>();
        var forwarded = false;
        try
        {
            while (queue.Count > 0 || running.Count > 0)
            {
                while (!cancellation.IsCancellationRequested && running.Count < jobs && queue.Count > 0)
                {
                    var i = queue.Dequeue();
                    var name = manifest.Runs[i].RunName;
                    var folder = Training.Runs.Folder(name, manifest.RunsDir);
                    Directory.CreateDirectory(folder);
                    running.Add((i, Start(folder, resnetCommand, manifestPath, i)));
                    log($"started {name} ({running.Count} running, {queue.Count} queued); log: {Path.Combine(folder, SweepTaskRecord.LogFile)}");
                }
                if (cancellation.IsCancellationRequested && !forwarded)
                {
                    // Each child writes a checkpoint and exits; the next sweep resumes them.
                    foreach (var (_, p) in running) _ = Kill(p.Id, SigTerm);
                    queue.Clear();
                    forwarded = true;
                }
                var finished = running.FirstOrDefault(r => r.Process.HasExited);
                if (finished.Process is null) { Thread.Sleep(200); continue; }
                running.Remove(finished);
                var code = finished.Process.ExitCode;
                finished.Process.Dispose();
                var run = new RunConfigIndex(finished.Index, manifest.Runs[finished.Index].RunName);
                done.Add((run, code));
                log($"{run.Name}: {(code == 0 ? "finished" : code == ExitCodes.Interrupted ? "interrupted (checkpoint kept; resumes next time)" : $"failed (exit {code}; see its sweep.log)")}");
            }
        }
        finally
        {
            foreach (var (_, p) in running) { if (!p.HasExited) _ = Kill(p.Id, SigTerm); p.Dispose(); }
        }
        return done;
    }

    static Process Start(string folder, IReadOnlyList<string> resnetCommand, string manifestPath, int index)
    {
        // sh execs the task with its output appended to the run's log: the child's pid is the task's pid.
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("log=$1; shift; exec \"$@\" >>\"$log\" 2>&1 </dev/null");
        info.ArgumentList.Add("sh");
        info.ArgumentList.Add(Path.Combine(folder, SweepTaskRecord.LogFile));
        foreach (var a in resnetCommand) info.ArgumentList.Add(a);
        foreach (var a in new[] { "sweep", "task", "--manifest", manifestPath, "--index", index.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            info.ArgumentList.Add(a);
        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {resnetCommand[0]}");
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    static extern int Kill(int pid, int signal);
}

/// <summary>A run of a sweep by its manifest index and name.</summary>
public sealed record RunConfigIndex(int Index, string Name);
