using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace ResNetLab.Sweeps;

/// <summary>#SBATCH resources of every array task (null: the cluster's default).</summary>
public sealed record SlurmResources
{
    /// <summary>#SBATCH --partition; null: the cluster's default.</summary>
    public string? Partition { get; init; }

    /// <summary>#SBATCH --time per array task (e.g. 12:00:00); null: the partition's default.</summary>
    public string? Time { get; init; }

    /// <summary>#SBATCH --cpus-per-task; also the task's torch threads.</summary>
    public int Cpus { get; init; } = DefaultCpus;

    /// <summary>CPUs per task unless the partition's nodes have fewer (<see cref="SlurmCluster.DefaultCpus"/>).</summary>
    public const int DefaultCpus = 4;

    /// <summary>#SBATCH --mem (e.g. 16G); null: the cluster's default.</summary>
    public string? Mem { get; init; }

    /// <summary>#SBATCH --gres (e.g. gpu:1); null: no generic resources.</summary>
    public string? Gres { get; init; }

    /// <summary>#SBATCH --account; null: the user's default.</summary>
    public string? Account { get; init; }

    /// <summary>Array throttle (%N): at most this many tasks at once.</summary>
    public int? MaxParallel { get; init; }

    /// <summary>Signal the batch shell this many seconds before the time limit, so the run checkpoints and requeues.</summary>
    public int SignalSeconds { get; init; } = 120;
}

/// <summary>
/// One Slurm job array per sweep: task i trains manifest run i (`resnet sweep task --manifest M --index i`), logging
/// into its run folder. Preemption-safe: SIGTERM (preemption, scancel, requeue) or SIGUSR1 (sent --signal seconds
/// before the time limit) makes the run checkpoint and exit 130; on SIGUSR1 the task requeues itself, and a
/// requeued task resumes from the checkpoint.
/// </summary>
public static class SlurmSweep
{
    /// <summary>The job script's name in the sweep folder.</summary>
    public const string ScriptFile = "job.sbatch";

    /// <summary>The job-array script: one task per run of the manifest, each running `resnet sweep task`.</summary>
    public static string Script(SweepManifest manifest, string manifestPath, IReadOnlyList<string> resnetCommand, SlurmResources res,
                                IReadOnlyDictionary<string, string>? environment = null)
    {
        if (manifest.Runs.Count == 0) throw new ArgumentException("the sweep has no runs to submit");
        var s = new StringBuilder("#!/bin/bash\n");
        void Directive(string text) => s.Append("#SBATCH ").Append(text).Append('\n');
        Directive($"--job-name=resnet-{manifest.Label}");
        Directive($"--array=0-{manifest.Runs.Count - 1}{(res.MaxParallel is { } m ? $"%{m}" : "")}");
        Directive("--ntasks=1");
        Directive($"--cpus-per-task={res.Cpus}");
        if (res.Mem is not null) Directive($"--mem={res.Mem}");
        if (res.Time is not null) Directive($"--time={res.Time}");
        if (res.Partition is not null) Directive($"--partition={res.Partition}");
        if (res.Account is not null) Directive($"--account={res.Account}");
        if (res.Gres is not null) Directive($"--gres={res.Gres}");
        Directive($"--signal=B:USR1@{res.SignalSeconds}");
        Directive("--requeue");
        Directive("--open-mode=append");
        Directive($"--output={Path.Combine(manifest.Folder, "slurm-%A_%a.out")}");
        var runs = string.Join(" ", manifest.Runs.Select(r => Quote(r.RunName)));
        s.Append(CultureInfo.InvariantCulture, $$"""
            # resnet sweep {{manifest.Label}}: {{manifest.Runs.Count}} runs; task i trains run i of the manifest
            #   {{manifestPath}}
            # The runs folder must be on a filesystem every node sees: {{manifest.RunsDir}}
            set -u
            runs=({{runs}})
            task=${SLURM_ARRAY_TASK_ID:?run me with sbatch}
            run_dir={{Quote(manifest.RunsDir)}}/${runs[$task]}
            mkdir -p "$run_dir"
            exec >>"$run_dir/{{SweepTaskRecord.LogFile}}" 2>&1
            echo "== $(date -u +%FT%TZ) slurm task ${SLURM_ARRAY_JOB_ID}_$task on $(hostname) (restart ${SLURM_RESTART_COUNT:-0})"

            """);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) s.Append(CultureInfo.InvariantCulture, $"export {k}={Quote(v)}\n");
        s.Append(CultureInfo.InvariantCulture, $$"""
            {{string.Join(" ", resnetCommand.Select(Quote))}} sweep task --manifest {{Quote(manifestPath)}} --index "$task" &
            pid=$!
            # Slurm signals this shell: pass SIGTERM/SIGUSR1 on, so the run writes a checkpoint and exits {{ExitCodes.Interrupted}}.
            requeue=0
            trap 'requeue=1; kill -USR1 $pid 2>/dev/null' USR1
            trap 'kill -TERM $pid 2>/dev/null' TERM
            while :; do wait $pid; rc=$?; kill -0 $pid 2>/dev/null || break; done
            echo "== $(date -u +%FT%TZ) exit $rc"
            if [[ $rc == {{ExitCodes.Interrupted}} && $requeue == 1 ]]; then
              # Near the time limit: back into the queue; the next start resumes from the checkpoint.
              scontrol requeue "${SLURM_ARRAY_JOB_ID}_$task"
            fi
            exit $rc

            """);
        return s.ToString();
    }

    /// <summary>Single-quoted for bash.</summary>
    public static string Quote(string text) =>
        text.All(c => char.IsAsciiLetterOrDigit(c) || "/._-+=:,@%".Contains(c)) ? text : "'" + text.Replace("'", "'\\''") + "'";

    /// <summary>sbatch --parsable SCRIPT → the job id.</summary>
    public static string Submit(string scriptPath)
    {
        var info = new ProcessStartInfo("sbatch") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("--parsable");
        info.ArgumentList.Add(scriptPath);
        Process p;
        try { p = Process.Start(info)!; }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException("sbatch is not on PATH: run on a Slurm login node (or start the local one: environment/slurm.sh start), or use --dry-run");
        }
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"sbatch {scriptPath} failed (exit {p.ExitCode}): {stderr.Trim()}");
            return stdout.Result.Trim().Split(';')[0];
        }
    }

    /// <summary>Fails early with a clear message when the runs folder cannot be written (every task writes there).</summary>
    public static void CheckWritable(string runsDir)
    {
        try
        {
            Directory.CreateDirectory(runsDir);
            var probe = Path.Combine(runsDir, $".write-test.{Environment.ProcessId}");
            File.WriteAllText(probe, "ok");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"the runs folder {runsDir} is not writable ({e.Message}); use a runs folder on a shared filesystem every node can write", e);
        }
    }

    /// <summary>The filesystem type and mount point holding <paramref name="path"/> (Linux /proc/self/mounts), e.g. ("nfs4", "/home").</summary>
    public static (string Type, string MountPoint)? FileSystemOf(string path)
    {
        const string mounts = "/proc/self/mounts";
        if (!File.Exists(mounts)) return null;
        var full = Path.GetFullPath(path);
        return File.ReadLines(mounts)
            .Select(l => l.Split(' '))
            .Where(f => f.Length >= 3)
            .Select(f => (Type: f[2], MountPoint: f[1].Replace("\\040", " ")))
            .Where(m => full == m.MountPoint || full.StartsWith(m.MountPoint.TrimEnd('/') + "/", StringComparison.Ordinal))
            .OrderByDescending(m => m.MountPoint.Length)
            .Select(m => ((string, string)?)m)
            .FirstOrDefault();
    }
}
