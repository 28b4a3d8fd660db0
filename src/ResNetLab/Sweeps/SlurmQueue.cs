using System.Text.Json;
using ResNetLab.Training;

namespace ResNetLab.Sweeps;

/// <summary>A job array submitted for a sweep, as recorded in its folder (slurm-jobs.jsonl): the id and what each task asked for.</summary>
public sealed record SlurmJobRecord(string Job, SlurmResources Resources, DateTime SubmittedUtc);

/// <summary>A run's task in Slurm's queue: its id (JOB_TASK), state (PD, R, …), Slurm's reason and what it means here.</summary>
public sealed record SlurmWait(string Task, string State, string Reason, string? Explanation)
{
    /// <summary>"PartitionConfig — a task asks for 4 CPUs, the largest node of partition debug has 2".</summary>
    public string Describe() => Explanation is null ? Reason : $"{Reason} — {Explanation}";
}

/// <summary>
/// Slurm's view of a sweep's tasks for `resnet sweep status`: the sweep folders of a label record the job arrays
/// submitted (<see cref="Record"/>); one squeue call maps each waiting task to its run and says why it waits.
/// </summary>
public static class SlurmQueue
{
    /// <summary>The record of submitted job arrays in a sweep folder.</summary>
    public const string FileName = "slurm-jobs.jsonl";

    /// <summary>Append a submitted job array to the sweep folder's record.</summary>
    public static void Record(string sweepFolder, SlurmJobRecord job)
    {
        var path = Path.Combine(sweepFolder, FileName);
        var lines = File.Exists(path) ? File.ReadAllText(path) : "";
        Runs.WriteAtomically(path, lines + JsonSerializer.Serialize(job, RunJson.Options).Replace("\n", "") + "\n", "the record of submitted Slurm jobs");
    }

    /// <summary>Run name → its task in the queue, for every sweep folder of <paramref name="label"/> that submitted jobs; empty without any (no squeue call).</summary>
    public static IReadOnlyDictionary<string, SlurmWait> Waiting(string runsDir, string label, Func<string, string?>? squeue = null)
    {
        var sweeps = Path.Combine(runsDir, ".sweeps");
        if (!Directory.Exists(sweeps)) return new Dictionary<string, SlurmWait>();
        var jobs = new Dictionary<string, (SweepManifest Manifest, SlurmJobRecord Job)>();
        foreach (var folder in Directory.EnumerateDirectories(sweeps, label + "-*"))
        {
            var record = Path.Combine(folder, FileName);
            var manifestPath = Path.Combine(folder, SweepManifest.FileName);
            if (!File.Exists(record) || !File.Exists(manifestPath)) continue;
            SweepManifest manifest;
            try { manifest = SweepManifest.Read(manifestPath); }
            catch (InvalidDataException) { continue; }
            foreach (var line in File.ReadLines(record).Where(l => l.Trim().Length > 0))
            {
                try { if (JsonSerializer.Deserialize<SlurmJobRecord>(line, RunJson.Options) is { } job) jobs[job.Job] = (manifest, job); }
                catch (JsonException) { }
            }
        }
        if (jobs.Count == 0) return new Dictionary<string, SlurmWait>();
        var output = (squeue ?? (ids => SlurmCluster.Run("squeue", "-h", "-r", "-j", ids, "-o", "%i|%t|%r")))(string.Join(",", jobs.Keys));
        if (output is null) return new Dictionary<string, SlurmWait>();
        SlurmCluster? cluster = null;
        var clusterRead = false;
        var waiting = new Dictionary<string, SlurmWait>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var f = line.Split('|');
            var id = f[0].Split('_');
            if (f.Length < 3 || id.Length != 2 || !jobs.TryGetValue(id[0], out var j) || !int.TryParse(id[1], out var index) || index >= j.Manifest.Runs.Count) continue;
            if (!clusterRead && f[1] == "PD") { cluster = SlurmCluster.Query(); clusterRead = true; }
            waiting[j.Manifest.Runs[index].RunName] = new SlurmWait(f[0], f[1], f[2], f[1] == "PD" ? Explain(f[2], j.Job, cluster) : null);
        }
        return waiting;
    }

    /// <summary>What a pending reason means for this sweep's task, in words; null when Slurm's word says it all.</summary>
    public static string? Explain(string reason, SlurmJobRecord job, SlurmCluster? cluster)
    {
        var misfit = cluster is null ? null : Misfit(cluster, job.Resources);
        return reason switch
        {
            "PartitionConfig" or "PartitionNodeLimit" or "PartitionTimeLimit" or "BadConstraints" or "ReqNodeNotAvail" =>
                (misfit ?? "the request does not fit the partition's limits") + " — it will never start: scancel it and submit with less",
            "Resources" => "waiting for free CPUs or memory (other jobs hold them)" + (misfit is null ? "" : $"; {misfit}"),
            "Priority" => "other jobs are ahead in the queue",
            "BeginTime" => "requeued: it may start again after its begin time (Slurm waits ~2 minutes)",
            "JobHeldUser" or "JobHeldAdmin" => $"held: scontrol release {job.Job}",
            "Dependency" => "waiting for the jobs it depends on",
            "JobArrayTaskLimit" => "the array's --max-parallel limit is reached",
            "None" => "just submitted, not yet scheduled",
            _ => misfit,
        };
    }

    static string? Misfit(SlurmCluster cluster, SlurmResources res)
    {
        try { return cluster.Misfit(res); }
        catch (ArgumentException e) { return e.Message; }
    }
}
