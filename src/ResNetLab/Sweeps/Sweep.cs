using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ResNetLab.Training;
using ResNetLab.Models;

namespace ResNetLab.Sweeps;

/// <summary>What to sweep: a notebook's plan or a list of models, at a budget, optionally over seeds 0..N-1.</summary>
/// <param name="Plan">A plan of <see cref="Experiments.All"/> (degradation, shortcut-options, …), or null with models.</param>
/// <param name="Models">Registered (or any CIFAR-depth) model names, or null with a plan.</param>
/// <param name="Budget">The schedule of every run.</param>
/// <param name="Seeds">Repeat every run for seeds 0..N-1; null keeps the plan's own seeds.</param>
public sealed record SweepRequest(string? Plan, IReadOnlyList<string>? Models, Training.Budget Budget, int? Seeds)
{
    /// <summary>The notebooks' plans by name — <see cref="Experiments.All"/>, the one list.</summary>
    public static IReadOnlyCollection<string> PlanNames => Experiments.All(Training.Budget.Smoke).Keys.ToList();

    /// <summary>
    /// The arithmetic of every run: float32 (the default), or bfloat16 mixed precision — then each run is the bf16 twin
    /// of the plan's run (its own folder, `…-bf16-s0`), e.g. for the fp32/bf16 equivalence over seeds.
    /// </summary>
    public global::ResNetLab.Models.Precision Precision { get; init; } = global::ResNetLab.Models.Precision.Fp32;

    /// <summary>
    /// Every residual run starts its branches at zero (<see cref="RunConfig.ZeroInitResidual"/>, a named departure);
    /// plain runs, which have no branch, keep the paper's init — so a plan's plain twins stay the paper's.
    /// </summary>
    public bool ZeroInitResidual { get; init; }

    /// <summary>E.g. "degradation-smoke", "resnet20+plain20-smoke" or "resnet20-quick-bf16": names the sweep's folder and job.</summary>
    public string Label => $"{(Plan is not null ? Plan.ToLowerInvariant() : string.Join("+", Models!))}-{Budget.Key}" +
                           (ZeroInitResidual ? "-zeroinit" : "") +
                           (Precision == global::ResNetLab.Models.Precision.Fp32 ? "" : $"-{Precision.Name()}");

    /// <summary>
    /// The runs, in a stable order, each once. With <see cref="Seeds"/>, every run of the plan is repeated for seeds
    /// 0..N-1 (its other settings unchanged); without, the plan's own seeds.
    /// </summary>
    public IReadOnlyList<RunConfig> Runs()
    {
        if ((Plan is null) == (Models is null or { Count: 0 }))
            throw new ArgumentException($"give exactly one of a plan ({string.Join(", ", PlanNames)}) or a list of models");
        if (Seeds is < 1 or > 1000) throw new ArgumentException($"seeds {Seeds} must be between 1 and 1000");
        IEnumerable<RunConfig> runs;
        if (Plan is not null)
        {
            runs = NamedPlan()!.AllRuns;
        }
        else
        {
            runs = Models!.Select(ModelZoo.Spec).Select(spec => new RunConfig
            {
                Model = spec.Name, Shortcut = spec.DefaultShortcut, Budget = Budget,
            }).ToList();
        }
        if (Seeds is { } n) runs = runs.SelectMany(r => Enumerable.Range(0, n).Select(s => r with { Seed = s }));
        runs = runs.Select(r => r.In(Precision));
        if (ZeroInitResidual) runs = runs.Select(r => r.Spec.Residual ? r with { ZeroInitResidual = true } : r);
        return runs.DistinctBy(r => r.RunName).ToList();
    }

    /// <summary>
    /// The plan reads its runs' weight snapshots (<see cref="IExperimentPlan.MeasuresSnapshots"/>): a finished run that
    /// kept none is trained again by the sweep.
    /// </summary>
    public bool MeasuresSnapshots => Plan is not null && NamedPlan()!.MeasuresSnapshots;

    IExperimentPlan? NamedPlan()
    {
        if (Plan is null) return null;
        var plans = Experiments.All(Budget);
        var key = plans.Keys.FirstOrDefault(k => string.Equals(k, Plan.Trim(), StringComparison.OrdinalIgnoreCase))
                  ?? throw new ArgumentException($"plan '{Plan}' is not one of: {string.Join(", ", plans.Keys)}");
        return plans[key];
    }

    /// <summary>A comma-separated list of model names; null stays null.</summary>
    public static IReadOnlyList<string>? ParseModels(string? text) =>
        text is null ? null : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>
/// The index → run mapping an array task (or a local child process) reads: written next to the job script, so
/// `resnet sweep task --manifest FILE --index I` trains exactly run I with the sweep's settings.
/// </summary>
public sealed record SweepManifest
{
    /// <summary>The sweep's label (<see cref="SweepRequest.Label"/>).</summary>
    public required string Label { get; init; }

    /// <summary>The runs folder every task writes to (on a filesystem all nodes share).</summary>
    public required string RunsDir { get; init; }

    /// <summary>The dataset folder the tasks read; null: RESNET_DATA, else data/.</summary>
    public string? DataDir { get; init; }

    /// <summary>cpu, cuda or auto.</summary>
    public string Device { get; init; } = "auto";

    /// <summary>Threads per run; null: the task's SLURM_CPUS_PER_TASK, else torch's default.</summary>
    public int? Threads { get; init; }
    /// <summary>Task i trains Runs[i].</summary>
    public required IReadOnlyList<RunConfig> Runs { get; init; }

    /// <summary>The plan reads the runs' weight snapshots: a task retrains a finished run that kept none.</summary>
    public bool RequireSnapshots { get; init; }

    /// <summary>When the manifest was written.</summary>
    public DateTime CreatedUtc { get; init; } = DateTime.UtcNow;

    /// <summary>The manifest's name in the sweep folder.</summary>
    public const string FileName = "manifest.json";

    /// <summary>runs/.sweeps/&lt;label&gt;-&lt;hash&gt;: the same sweep maps to the same folder, a changed one to a new one.</summary>
    public string Folder
    {
        get
        {
            var identity = string.Join("\n", Runs.Select(r => r.Hash)) + $"\n{DataDir}\n{Device}\n{Threads}" + (RequireSnapshots ? "\nsnapshots" : "");
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..8];
            return Path.Combine(RunsDir, ".sweeps", $"{Label}-{hash}");
        }
    }

    /// <summary>Write the manifest into <see cref="Folder"/> (atomically); returns its path.</summary>
    public string Write()
    {
        var path = Path.Combine(Folder, FileName);
        Training.Runs.WriteAtomically(path, JsonSerializer.Serialize(this, RunJson.Options) + "\n", "the sweep manifest");
        return path;
    }

    /// <summary>Read a manifest; a missing or malformed file is an error naming it.</summary>
    public static SweepManifest Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"manifest {path} does not exist (written by `resnet sweep`)", path);
        try
        {
            return JsonSerializer.Deserialize<SweepManifest>(File.ReadAllText(path), RunJson.Options)
                   ?? throw new InvalidDataException($"manifest {path} is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"manifest {path} is not a sweep manifest ({e.Message})", e);
        }
    }

    /// <summary>Run <paramref name="index"/> (what array task <paramref name="index"/> trains).</summary>
    public RunConfig At(int index, string path) =>
        index >= 0 && index < Runs.Count ? Runs[index]
        : throw new ArgumentException($"index {index} is outside the manifest {path} (runs 0..{Runs.Count - 1})");
}

/// <summary>What a sweep task leaves in its run folder (sweep-task.json): where it ran and how it ended.</summary>
public sealed record SweepTaskRecord(string Host, int Pid, string? Job, DateTime StartedUtc, DateTime? EndedUtc, int? ExitCode, string? Message)
{
    /// <summary>The record's name in the run folder.</summary>
    public const string FileName = "sweep-task.json";

    /// <summary>Log of every task session of the run (appended; the Slurm script and the local engine both write it).</summary>
    public const string LogFile = "sweep.log";

    /// <summary>The run folder's task record, or null when there is none (or it cannot be read).</summary>
    public static SweepTaskRecord? TryRead(string folder)
    {
        var path = Path.Combine(folder, FileName);
        try { return File.Exists(path) ? JsonSerializer.Deserialize<SweepTaskRecord>(File.ReadAllText(path), RunJson.Options) : null; }
        catch (Exception e) when (e is IOException or JsonException) { return null; }
    }

    /// <summary>Write the record into the run folder (atomically).</summary>
    public void Write(string folder) =>
        Training.Runs.WriteAtomically(Path.Combine(folder, FileName), JsonSerializer.Serialize(this, RunJson.Options) + "\n", "the sweep task record");
}

/// <summary>Exit codes of `resnet train` and `resnet sweep task`.</summary>
public static class ExitCodes
{
    /// <summary>Interrupted by SIGINT/SIGTERM/SIGUSR1 after writing a checkpoint: running it again resumes (128 + SIGINT, as a shell reports Ctrl-C).</summary>
    public const int Interrupted = 130;
}
