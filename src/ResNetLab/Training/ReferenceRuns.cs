using ResNetLab.Runtime;

namespace ResNetLab.Training;

/// <summary>
/// The project's own finished runs, committed as records (run.json and metrics.csv as the run folder wrote them, no
/// weights) under notebooks/reference-runs/&lt;run name&gt;/: long curves no student budget reaches (the paper's recipe at
/// 12,800 iterations on a 2-core CPU) and the depth-search runs, drawn beside the student's own runs. Read-only for
/// notebooks; <see cref="Keep"/> is how a finished run joins them.
/// </summary>
public static class ReferenceRuns
{
    /// <summary>The folder's name under notebooks/.</summary>
    public const string FolderName = "reference-runs";

    /// <summary>notebooks/reference-runs of the checkout, or null outside one.</summary>
    public static string? DefaultFolder => RepoPaths.TryRoot() is { } root ? Path.Combine(root, "notebooks", FolderName) : null;

    /// <summary>
    /// Every finished reference run under <paramref name="folder"/> (default <see cref="DefaultFolder"/>), by run name;
    /// none when the folder does not exist. A damaged record is an error naming its file: committed data must be whole.
    /// </summary>
    public static IReadOnlyList<RunResult> Load(string? folder = null)
    {
        folder ??= DefaultFolder;
        if (folder is null || !Directory.Exists(folder)) return [];
        return Directory.EnumerateDirectories(folder)
            .Where(d => File.Exists(Path.Combine(d, Runs.RecordFile)))
            .Select(d => (Folder: d, Record: Runs.Load(d)))
            .Where(r => r.Record.Status == RunStatus.Finished)
            .Select(r => new RunResult(r.Folder, r.Record, Runs.ReadMetrics(r.Folder), RunOutcome.Reused))
            .OrderBy(r => r.Record.Name, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The folder is a committed record under <paramref name="folder"/> (default <see cref="DefaultFolder"/>), not a run of yours.</summary>
    public static bool IsCommitted(string runFolder, string? folder = null)
    {
        folder ??= DefaultFolder;
        return folder is not null && Path.GetFullPath(runFolder).StartsWith(Path.GetFullPath(folder) + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }

    /// <summary>
    /// The committed record of exactly this run — folder named <see cref="RunConfig.RunName"/>, the same config hash,
    /// finished — under <paramref name="folder"/> (default <see cref="DefaultFolder"/>), or null. What serves a plan whose
    /// analysis reads only records (<see cref="IExperimentPlan.ProjectRecordsServe"/>) when the runs folder has no such run
    /// (<see cref="Experiment.Decide"/>'s <see cref="RunAction.UseCommitted"/>).
    /// </summary>
    public static (string Folder, RunRecord Record)? Match(RunConfig config, string? folder = null)
    {
        folder ??= DefaultFolder;
        if (folder is null) return null;
        var path = Path.Combine(folder, config.RunName);
        return Runs.TryLoad(path) is { Status: RunStatus.Finished } record && record.ConfigHash == config.Hash ? (path, record) : null;
    }

    /// <summary>
    /// For each model and init among <paramref name="runs"/>, the longest finished reference run of the same recipe: the
    /// paper's for paper-init runs, the paper's with zero-init branches for zero-init ones (the depth budget's) — so a
    /// student's run is drawn beside the project's run of its own recipe. Runs of any other recipe get none.
    /// </summary>
    public static IReadOnlyList<RunResult> LongestLike(IReadOnlyList<RunResult> references, IEnumerable<RunConfig> runs) =>
        runs.Select(c => (Model: c.Model.ToLowerInvariant(), c.ZeroInitResidual)).Distinct()
            .Select(k => LongestOf(references, k.Model, k.ZeroInitResidual)).OfType<RunResult>().ToList();

    static RunResult? LongestOf(IReadOnlyList<RunResult> references, string model, bool zeroInit) =>
        references.Where(r => string.Equals(r.Record.Config.Model, model, StringComparison.OrdinalIgnoreCase) && IsPaperRecipe(r.Record.Config, zeroInit))
            .OrderByDescending(r => r.Record.Config.Budget.Iterations).ThenBy(r => r.Record.Seed)
            .FirstOrDefault();

    /// <summary>
    /// The paper's recipe at some length: no departure, the model's default shortcut, the whole training split — or, with
    /// <paramref name="zeroInit"/>, that recipe with zero-init residual branches as its one departure.
    /// </summary>
    public static bool IsPaperRecipe(RunConfig config, bool zeroInit = false) =>
        config.ZeroInitResidual == zeroInit && config.Departures.Count == (zeroInit ? 1 : 0) && config.Recipe is null && config.Warmup is null && config.Augment
        && config.Normalization == Data.NormalizationKind.Paper && config.Split == Data.DataSplit.Full
        && config.Budget.TrainImages is null && config.Shortcut == config.Spec.DefaultShortcut;

    /// <summary>
    /// Copy a finished run's record and metrics (never its weights) into <paramref name="folder"/>/&lt;run name&gt;/,
    /// each file replaced atomically; returns the new folder. An unfinished run is refused.
    /// </summary>
    public static string Keep(string runFolder, string? folder = null)
    {
        folder ??= DefaultFolder ?? throw new DirectoryNotFoundException("no checkout found for notebooks/reference-runs; pass the folder");
        var record = Runs.Load(runFolder);
        if (record.Status != RunStatus.Finished)
            throw new InvalidOperationException($"{runFolder} is {record.Status.ToString().ToLowerInvariant()} at iteration {record.Iteration:N0}: only finished runs become reference runs");
        _ = Runs.ReadMetrics(runFolder);   // whole and readable before it is copied
        var target = Path.Combine(folder, record.Name);
        Directory.CreateDirectory(target);
        foreach (var file in new[] { Runs.RecordFile, Runs.MetricsFile })
            Runs.WriteAtomically(Path.Combine(target, file), File.ReadAllText(Path.Combine(runFolder, file)), "a reference run record");
        return target;
    }
}
