using ResNetLab.Training;

namespace ResNetLab.Sweeps;

/// <summary>Where a sweep's run is.</summary>
public enum RunState
{
    /// <summary>Its record says finished.</summary>
    Finished,

    /// <summary>A live process holds its lock.</summary>
    Running,

    /// <summary>Not started, or stopped cleanly (preempted) and waiting to resume.</summary>
    Pending,

    /// <summary>Failed or diverged, or its task exited with an error.</summary>
    Failed,
}

/// <summary>How far a run is: iterations done of its total, training seconds so far, and the time left at that pace.</summary>
public sealed record RunProgress(int Iteration, int Iterations, double WallSeconds, double? EtaSeconds);

/// <summary>One run of a sweep as `resnet sweep status` shows it.</summary>
public sealed record RunStatusLine(string Name, string Folder, RunState State, RunProgress? Progress, double? TestErrorPercent,
                                   string? Message, IReadOnlyList<string> LogTail)
{
    /// <summary>Its Slurm task while it waits in the queue (or starts): state and pending reason; null otherwise.</summary>
    public SlurmWait? Queued { get; init; }
}

/// <summary>A sweep's runs by state, with totals (the JSON of `resnet sweep status --json`).</summary>
public sealed record SweepStatusReport(string Label, string RunsDir, int Total, int Finished, int Running, int Pending, int Failed,
                                       IReadOnlyList<RunStatusLine> Runs);

/// <summary>Reads the run folders of a sweep without touching torch: records, locks, task records and logs.</summary>
public static class SweepStatus
{
    /// <summary>Every run's line and the totals.</summary>
    /// <param name="label">The sweep's label.</param>
    /// <param name="runs">Its runs.</param>
    /// <param name="runsDir">Where their folders are.</param>
    /// <param name="requireSnapshots">The plan reads weight snapshots: a finished run that kept none is pending (retrained).</param>
    public static SweepStatusReport Of(string label, IReadOnlyList<RunConfig> runs, string runsDir, bool requireSnapshots = false)
    {
        var queue = SlurmQueue.Waiting(runsDir, label);
        var lines = runs.Select(r => Line(r, Training.Runs.Folder(r.RunName, runsDir), requireSnapshots))
            .Select(l => l.State == RunState.Pending && queue.TryGetValue(l.Name, out var w)
                ? l with { Queued = w, Message = $"{(w.State == "PD" ? "queued" : $"state {w.State}")} in Slurm ({w.Task}): {w.Describe()}" }
                : l).ToList();
        int Count(RunState s) => lines.Count(l => l.State == s);
        return new SweepStatusReport(label, runsDir, lines.Count, Count(RunState.Finished), Count(RunState.Running),
                                     Count(RunState.Pending), Count(RunState.Failed), lines);
    }

    /// <summary>
    /// One run's state from its folder: what <see cref="Experiment.Decide"/> — the one reuse/resume/train rule that
    /// RunOrLoad, the reports planner and the sweep tasks follow — would do with it, refined by the lock (running), the
    /// record's status and the task record (failed), with the log tail where a failure says why.
    /// </summary>
    public static RunStatusLine Line(RunConfig config, string folder, bool requireSnapshots = false)
    {
        RunDecision decision;
        try { decision = Experiment.Decide(config, folder, requireSnapshots: requireSnapshots); }
        catch (InvalidDataException e) { return new(config.RunName, folder, RunState.Failed, null, null, e.Message, LogTail(folder)); }
        var record = decision.Record;
        var progress = ReadProgress(folder, record);
        switch (decision.Action)
        {
            case RunAction.Conflict:
                return new(config.RunName, folder, RunState.Failed, progress, null,
                           $"the folder holds a run with another config (hash {record!.ConfigHash}, this sweep's {config.Hash})", []);
            case RunAction.Reuse:
                return new(config.RunName, folder, RunState.Finished, progress, record!.Final is { } f ? 100 * f.TestError : null, null, []);
        }
        var (lockState, holder) = RunLock.Inspect(folder);
        if (lockState == RunLock.LockState.Held)
            return new(config.RunName, folder, RunState.Running, progress, null,
                       holder is null ? null : $"on {holder.Host}{(holder.Job is null ? "" : $" (job {holder.Job})")}", []);
        if (decision.Action == RunAction.Retrain)   // finished, but without the snapshots this plan reads
            return new(config.RunName, folder, RunState.Pending, progress, null, decision.Reason, []);
        if (record?.Status is RunStatus.Failed or RunStatus.Diverged)
            return new(config.RunName, folder, RunState.Failed, progress, null, FirstLine(record.Message), LogTail(folder));
        var task = SweepTaskRecord.TryRead(folder);
        if (task is { ExitCode: { } code } && code != 0 && code != ExitCodes.Interrupted)
            return new(config.RunName, folder, RunState.Failed, progress, null, FirstLine(task.Message) ?? $"task exited with code {code}", LogTail(folder));
        var note = (decision.Action, record) switch
        {
            (_, null) => "not started",
            (RunAction.Train, _) => $"stopped at iteration {record.Iteration:N0} with no checkpoint; starts over",
            (_, { Status: RunStatus.Interrupted }) => $"interrupted at iteration {record.Iteration:N0}; resumes from its checkpoint",
            _ => $"stopped at iteration {record.Iteration:N0} (killed); resumes from its checkpoint",
        };
        return new(config.RunName, folder, RunState.Pending, progress, null, note, []);
    }

    /// <summary>
    /// A run's progress from its folder. Reads run.json (iteration and training seconds, updated at each checkpoint);
    /// the one place to point at a finer-grained progress file when the trainer writes one.
    /// </summary>
    public static RunProgress? ReadProgress(string folder, RunRecord? record = null)
    {
        record ??= Training.Runs.TryLoad(folder);
        if (record is null) return null;
        var total = record.Recipe.Iterations;
        double? eta = record.Iteration > 0 && record.Iteration < total ? record.WallSeconds / record.Iteration * (total - record.Iteration) : null;
        return new RunProgress(record.Iteration, total, record.WallSeconds, eta);
    }

    /// <summary>Native errors carry a whole stack trace in their message; the table shows its first line (the log has the rest).</summary>
    static string? FirstLine(string? message) => message?.Split('\n', 2)[0].Trim();

    /// <summary>The last lines of the run's sweep log (where a failed task says why).</summary>
    public static IReadOnlyList<string> LogTail(string folder, int lines = 8)
    {
        var path = Path.Combine(folder, SweepTaskRecord.LogFile);
        if (!File.Exists(path)) return [];
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length > 64 * 1024) stream.Seek(-64 * 1024, SeekOrigin.End);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0).TakeLast(lines).ToList();
        }
        catch (IOException) { return []; }
    }
}
