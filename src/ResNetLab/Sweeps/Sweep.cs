using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ResNetLab.Training;
using Zoo = ResNetLab.Models.Models;

namespace ResNetLab.Sweeps;

/// <summary>What to sweep: a notebook's plan or a list of models, at a budget, optionally over seeds 0..N-1.</summary>
public sealed record SweepRequest(string? Plan, IReadOnlyList<string>? Models, string Budget, int? Seeds)
{
    /// <summary>The notebooks' plans by name (<see cref="Experiments"/>); new plans get a line here.</summary>
    public static IReadOnlyDictionary<string, Func<string, IExperimentPlan>> Plans { get; } =
        new Dictionary<string, Func<string, IExperimentPlan>>(StringComparer.OrdinalIgnoreCase)
        {
            ["degradation"] = b => Experiments.Degradation(b),
            ["shortcut-options"] = b => Experiments.ShortcutOptions(b),
            ["bottleneck"] = b => Experiments.Bottleneck(b),
            ["very-deep"] = b => Experiments.VeryDeep(b),
            ["layer-responses"] = b => Experiments.LayerResponses(b),
        };

    /// <summary>E.g. "degradation-smoke" or "resnet20+plain20-smoke": names the sweep's folder and job.</summary>
    public string Label => $"{(Plan is not null ? Plan.ToLowerInvariant() : string.Join("+", Models!))}-{Training.Budget.Parse(Budget).Name}";

    /// <summary>
    /// The runs, in a stable order, each once. With <see cref="Seeds"/>, every run of the plan is repeated for seeds
    /// 0..N-1 (its other settings unchanged); without, the plan's own seeds.
    /// </summary>
    public IReadOnlyList<RunConfig> Runs()
    {
        if ((Plan is null) == (Models is null or { Count: 0 }))
            throw new ArgumentException("give exactly one of --plan NAME or --models a,b,c " +
                                        $"(plans: {string.Join(", ", Plans.Keys)})");
        if (Seeds is < 1 or > 1000) throw new ArgumentException($"--seeds {Seeds} must be between 1 and 1000");
        var budget = Training.Budget.Parse(Budget);
        IEnumerable<RunConfig> runs;
        if (Plan is not null)
        {
            if (!Plans.TryGetValue(Plan, out var make))
                throw new ArgumentException($"--plan '{Plan}' is not one of: {string.Join(", ", Plans.Keys)}");
            runs = make(budget.Name).AllRuns;
        }
        else
        {
            var known = Zoo.Names().ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var m in Models!)
                if (!known.Contains(m)) throw new ArgumentException($"--models: '{m}' is not a registered model (see `resnet models`)");
            runs = Models!.Select(m => new RunConfig
            {
                Model = m.ToLowerInvariant(), Shortcut = Zoo.DefaultShortcut(m), Budget = budget,
            });
        }
        if (Seeds is { } n) runs = runs.SelectMany(r => Enumerable.Range(0, n).Select(s => r with { Seed = s }));
        return runs.DistinctBy(r => r.RunName).ToList();
    }

    public static IReadOnlyList<string>? ParseModels(string? text) =>
        text is null ? null : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>
/// The index → run mapping an array task (or a local child process) reads: written next to the job script, so
/// `resnet sweep task --manifest FILE --index I` trains exactly run I with the sweep's settings.
/// </summary>
public sealed record SweepManifest
{
    public required string Label { get; init; }
    public required string RunsDir { get; init; }
    public string? DataDir { get; init; }
    public string Device { get; init; } = "auto";

    /// <summary>Threads per run; null: the task's SLURM_CPUS_PER_TASK, else torch's default.</summary>
    public int? Threads { get; init; }
    public required IReadOnlyList<RunConfig> Runs { get; init; }
    public DateTime CreatedUtc { get; init; } = DateTime.UtcNow;

    public const string FileName = "manifest.json";

    /// <summary>runs/.sweeps/&lt;label&gt;-&lt;hash&gt;: the same sweep maps to the same folder, a changed one to a new one.</summary>
    public string Folder
    {
        get
        {
            var identity = string.Join("\n", Runs.Select(r => r.Hash)) + $"\n{DataDir}\n{Device}\n{Threads}";
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..8];
            return Path.Combine(RunsDir, ".sweeps", $"{Label}-{hash}");
        }
    }

    public string Write()
    {
        var path = Path.Combine(Folder, FileName);
        Training.Runs.WriteAtomically(path, JsonSerializer.Serialize(this, RunJson.Options) + "\n");
        return path;
    }

    public static SweepManifest Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"--manifest {path} does not exist (written by `resnet sweep`)", path);
        try
        {
            return JsonSerializer.Deserialize<SweepManifest>(File.ReadAllText(path), RunJson.Options)
                   ?? throw new InvalidDataException($"--manifest {path} is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"--manifest {path} is not a sweep manifest ({e.Message})", e);
        }
    }

    public RunConfig At(int index, string path) =>
        index >= 0 && index < Runs.Count ? Runs[index]
        : throw new ArgumentException($"--index {index} is outside the manifest {path} (runs 0..{Runs.Count - 1})");
}

/// <summary>What a sweep task leaves in its run folder (sweep-task.json): where it ran and how it ended.</summary>
public sealed record SweepTaskRecord(string Host, int Pid, string? Job, DateTime StartedUtc, DateTime? EndedUtc, int? ExitCode, string? Message)
{
    public const string FileName = "sweep-task.json";

    /// <summary>Log of every task session of the run (appended; the Slurm script and the local engine both write it).</summary>
    public const string LogFile = "sweep.log";

    public static SweepTaskRecord? TryRead(string folder)
    {
        var path = Path.Combine(folder, FileName);
        try { return File.Exists(path) ? JsonSerializer.Deserialize<SweepTaskRecord>(File.ReadAllText(path), RunJson.Options) : null; }
        catch (Exception e) when (e is IOException or JsonException) { return null; }
    }

    public void Write(string folder) =>
        Training.Runs.WriteAtomically(Path.Combine(folder, FileName), JsonSerializer.Serialize(this, RunJson.Options) + "\n");
}

/// <summary>Exit codes of `resnet train` and `resnet sweep task`.</summary>
public static class ExitCodes
{
    /// <summary>Interrupted by SIGINT/SIGTERM/SIGUSR1 after writing a checkpoint: running it again resumes (128 + SIGINT, as a shell reports Ctrl-C).</summary>
    public const int Interrupted = 130;
}
