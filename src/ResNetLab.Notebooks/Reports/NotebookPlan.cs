using ResNetLab.Models;
using ResNetLab.Training;

namespace ResNetLab.Notebooks.Reports;

/// <summary>How a planned run will be had: loaded (finished), resumed from a checkpoint, or trained.</summary>
public enum PlannedAction
{
    /// <summary>A finished run with this config exists: loaded, not retrained.</summary>
    Reuse,

    /// <summary>An earlier notebook of the same job trains it; this one then loads it.</summary>
    ReuseFromEarlierNotebook,

    /// <summary>An unfinished run with a checkpoint: continued from it.</summary>
    Resume,

    /// <summary>
    /// Not in the runs folder, but this project committed its record (<see cref="ReferenceRuns.Match"/>) and the plan reads
    /// only records (<see cref="IExperimentPlan.ProjectRecordsServe"/>): loaded from it, not trained — and not the job's
    /// run for a later notebook that loads weights, which trains it.
    /// </summary>
    ReuseProjectRecord,

    /// <summary>Trained from scratch.</summary>
    Train,
}

/// <summary>One run a notebook needs, what will happen to it, and how long that should take here.</summary>
/// <param name="Notebook">The notebook that needs it.</param>
/// <param name="Config">The run (for a net the notebook defines, without its structure hash: see <see cref="OwnNet"/>).</param>
/// <param name="Action">Reused, resumed or trained.</param>
/// <param name="FromIteration">Where a resumed or reused run stands.</param>
/// <param name="Estimate">The time to train what is missing, where something trains.</param>
/// <param name="OwnNet">A net the notebook defines (notebook 01's): reused when a finished run of its name exists (the net as last
/// trained; an edited net trains anew), priced as the library's twin.</param>
/// <param name="NeedsWeights">The notebook loads the run's trained weights (<see cref="IExperimentPlan.ReadsWeights"/>).</param>
public sealed record PlannedRun(string Notebook, RunConfig Config, PlannedAction Action, int FromIteration, DurationEstimate? Estimate,
    bool OwnNet = false, bool NeedsWeights = false)
{
    /// <summary>The run's folder name.</summary>
    public string Name => Config.RunName;

    /// <summary>Estimated seconds to train what is missing (0 when reused or unknown).</summary>
    public double Seconds => Estimate?.Seconds ?? 0;
}

/// <summary>The runs of one notebook at one budget, in the order it trains them.</summary>
public sealed record NotebookPlan(string Notebook, IReadOnlyList<PlannedRun> Runs)
{
    /// <summary>The runs this notebook will train or resume.</summary>
    public IEnumerable<PlannedRun> ToTrain => Runs.Where(r => r.Action is PlannedAction.Train or PlannedAction.Resume);

    /// <summary>Estimated seconds of training for this notebook.</summary>
    public double Seconds => ToTrain.Sum(r => r.Seconds);
}

/// <summary>
/// One plan a notebook builds: the <see cref="Experiments"/> method its cell calls, the knobs it passes (names from its
/// knob cell, in order) and how the planner builds the same plan from the knobs it read (<see cref="NotebookKnobs"/>).
/// </summary>
/// <param name="Method">The <see cref="Experiments"/> method.</param>
/// <param name="Knobs">The knob names passed after <c>lab.Budget</c>, in order.</param>
/// <param name="Build">The plan at a budget from the notebook's knobs.</param>
public sealed record DeclaredPlan(string Method, IReadOnlyList<string> Knobs, Func<Budget, NotebookKnobs, IExperimentPlan> Build)
{
    /// <summary>The call as the notebook's cell writes it, e.g. <c>Experiments.Degradation(lab.Budget, depths, shortcut, seed)</c>.</summary>
    public string Call => $"Experiments.{Method}({string.Join(", ", Knobs.Prepend("lab.Budget"))})";
}

/// <summary>
/// What a notebook will train before it trains it (<see cref="NotebookPlans.Foresee"/>): its plan at this budget, and for
/// each run it trains that an earlier notebook declares, that notebook — a notebook opened out of order says so.
/// </summary>
/// <param name="Plan">The notebook's runs: reused, resumed, trained, with estimates.</param>
/// <param name="EarlierNotebook">Run name → the first earlier notebook whose plan has it (only runs this notebook would train).</param>
public sealed record Foresight(NotebookPlan Plan, IReadOnlyDictionary<string, string> EarlierNotebook);

/// <summary>
/// The plan of a report job before it starts: for each notebook the experiment plans it calls
/// (declared in <see cref="Declared"/> — the library's own plans, not a copy, built from the notebook's own knob cell),
/// which runs are finished already (reused), which resume, which train, and the estimated time (<see cref="TrainingEstimate"/>).
/// </summary>
public static class NotebookPlans
{
    /// <summary>
    /// Which of the library's plans each notebook trains, declared once (timm-style registry): the notebook's cells call
    /// these same <see cref="Experiments"/> methods with <c>lab.Budget</c> and the knobs of its knob cell (a test holds
    /// every notebook to its entry), and the planner builds them from the knob cell it parses, never from other cells.
    /// A notebook without training has an empty entry.
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<DeclaredPlan>> Declared { get; } =
        new Dictionary<string, IReadOnlyList<DeclaredPlan>>(StringComparer.Ordinal)
        {
            ["00-setup"] = [],
            ["01-residual-learning"] = [new(nameof(Experiments.YourNet), [], (b, _) => Experiments.YourNet(b))],
            ["02-degradation"] = [new(nameof(Experiments.Degradation), ["depths", "shortcut", "seed"],
                (b, k) => Experiments.Degradation(b, k.Ints("depths"), k.Shortcut("shortcut"), k.Long("seed")))],
            ["03-shortcut-options"] = [new(nameof(Experiments.ShortcutOptions), ["models", "options", "seed"],
                (b, k) => Experiments.ShortcutOptions(b, k.Strings("models"), k.Shortcuts("options"), k.Long("seed")))],
            ["04-bottleneck"] = [new(nameof(Experiments.Bottleneck), ["models", "seed"], (b, k) => Experiments.Bottleneck(b, k.Strings("models"), k.Long("seed")))],
            ["05-very-deep"] = [new(nameof(Experiments.VeryDeep), ["seeds"], (b, k) => Experiments.VeryDeep(b, k.Longs("seeds")))],
            ["06-layer-responses"] = [new(nameof(Experiments.LayerResponses), [], (b, _) => Experiments.LayerResponses(b))],
            ["07-lesion-study"] = [new(nameof(Experiments.Lesions), [], (b, _) => Experiments.Lesions(b))],
            ["08-gradient-flow"] = [new(nameof(Experiments.GradientFlow), [], (b, _) => Experiments.GradientFlow(b))],
            ["09-loss-landscape"] = [new(nameof(Experiments.LossLandscape), [], (b, _) => Experiments.LossLandscape(b))],
            ["10-preactivation"] = [new(nameof(Experiments.PreActivation), ["originals", "seed"],
                (b, k) => Experiments.PreActivation(b, k.Strings("originals"), k.Long("seed")))],
        };

    /// <summary>
    /// The experiment plans a notebook trains (<see cref="Declared"/>), in order, built from the knob cell of the file at
    /// <paramref name="notebookPath"/>; a notebook missing from the registry is an error naming it.
    /// </summary>
    public static IReadOnlyList<IExperimentPlan> PlansOf(string notebookPath, Budget budget)
    {
        var name = Path.GetFileNameWithoutExtension(notebookPath);
        if (!Declared.TryGetValue(name, out var plans))
            throw new InvalidDataException($"{notebookPath} is not in the registry of notebook plans (NotebookPlans.Declared in " +
                                           "src/ResNetLab.Notebooks/Reports/NotebookPlan.cs): add its entry — the Experiments plans it trains, or none");
        if (plans.Count == 0) return [];
        var knobs = plans.Any(p => p.Knobs.Count > 0) ? NotebookKnobs.Read(notebookPath, budget) : NotebookKnobs.None(notebookPath);
        return plans.Select(plan => plan.Build(budget, knobs)).ToList();
    }

    /// <summary>Every way the runs of a notebook's plans depart from the paper's recipe at <paramref name="budget"/> (<see cref="RunConfig.Departures"/>), each once.</summary>
    public static IReadOnlyList<string> DeparturesOf(string notebookPath, Budget budget) =>
        PlansOf(notebookPath, budget).SelectMany(p => p.AllRuns).SelectMany(r => r.Departures).Distinct().ToList();

    /// <summary>
    /// Plans for a sequence of notebooks run in order; a run trained by an earlier notebook is reused later. The
    /// notebooks train their plans' runs in <paramref name="precision"/> (RESNET_PRECISION), so the plan looks for those.
    /// </summary>
    public static IReadOnlyList<NotebookPlan> Make(IEnumerable<string> notebookPaths, Budget budget, string runsDir, TrainingEstimate estimate,
        Models.Precision precision = Models.Precision.Fp32)
    {
        // run name → whether the job has it with its weight snapshots by then (trained by the job, or kept on disk)
        var seen = new Dictionary<string, bool>(StringComparer.Ordinal);
        return notebookPaths.Select(path => Price(Path.GetFileNameWithoutExtension(path), PlansOf(path, budget), runsDir, estimate, precision, seen)).ToList();
    }

    /// <summary>
    /// The runs of <paramref name="plans"/> (a notebook's, e.g. as its knobs stand in the kernel) against the runs folder:
    /// reused, resumed or trained, and how long. <paramref name="seen"/> carries runs earlier notebooks of a job train.
    /// </summary>
    public static NotebookPlan Price(string notebook, IReadOnlyList<IExperimentPlan> plans, string runsDir, TrainingEstimate estimate,
        Models.Precision precision = Models.Precision.Fp32, Dictionary<string, bool>? seen = null)
    {
        seen ??= new Dictionary<string, bool>(StringComparer.Ordinal);
        var runs = new List<PlannedRun>();
        foreach (var plan in plans)
        {
            foreach (var run in plan.AllRuns)
            {
                var config = run.In(precision);
                var snapshots = plan.MeasuresSnapshots;
                if (runs.Any(r => r.Name == config.RunName)) continue;
                if (ModelZoo.TrySpec(config.Model) is null)
                {
                    runs.Add(OwnNet(notebook, config, plan.PricedAs(run).In(precision), runsDir, estimate));
                    continue;
                }
                var folder = Runs.Folder(config.RunName, runsDir);
                if (seen.TryGetValue(config.RunName, out var withSnapshots) && (withSnapshots || !snapshots))
                {
                    runs.Add(new(notebook, config, PlannedAction.ReuseFromEarlierNotebook, 0, null, NeedsWeights: plan.ReadsWeights));
                    continue;
                }
                var decision = Experiment.Decide(config, folder, requireSnapshots: snapshots,
                                                 projectRecords: plan.ProjectRecordsServe ? ReferenceRuns.DefaultFolder : null);
                if (decision.Action == RunAction.UseCommitted)
                {
                    runs.Add(new(notebook, config, PlannedAction.ReuseProjectRecord, decision.Record!.Iteration, null));
                    continue;   // not in `seen`: the job does not have it for a notebook that loads weights
                }
                var finished = decision.Record is { Status: RunStatus.Finished } && decision.Action != RunAction.Conflict;
                // after this notebook the job has the run with snapshots unless it only reused one that kept none
                seen[config.RunName] = !finished || snapshots || Snapshots.Kept(folder);
                runs.Add(decision.Action switch
                {
                    RunAction.Reuse => new(notebook, config, PlannedAction.Reuse, decision.Record!.Iteration, null, NeedsWeights: plan.ReadsWeights),
                    RunAction.Resume => new(notebook, config, PlannedAction.Resume, decision.Record!.Iteration, estimate.Estimate(config, decision.Record.Iteration), NeedsWeights: plan.ReadsWeights),
                    _ => new(notebook, config, PlannedAction.Train, 0, estimate.Estimate(config), NeedsWeights: plan.ReadsWeights),   // train, retrain; a conflict is RunOrLoad's error to report
                });
            }
        }
        return new NotebookPlan(notebook, runs);
    }

    /// <summary>A net the notebook defines: its structure hash is unknown here, so any finished run of its name and config serves.</summary>
    static PlannedRun OwnNet(string notebook, RunConfig config, RunConfig twin, string runsDir, TrainingEstimate estimate)
    {
        var finished = Directory.Exists(runsDir)
            ? Runs.List(runsDir).Where(r => r.Record.Status == RunStatus.Finished && r.Record.Config.Model == config.Model
                                            && (r.Record.Config with { Structure = null }).Hash == config.Hash)
                                .OrderByDescending(r => r.Record.StartedUtc).FirstOrDefault()
            : default;
        return finished.Record is { } record
            ? new(notebook, record.Config, PlannedAction.Reuse, record.Iteration, null, OwnNet: true)
            : new(notebook, config, PlannedAction.Train, 0, estimate.Estimate(twin), OwnNet: true);   // the same layers as its twin: its time
    }

    /// <summary>
    /// What the notebook at <paramref name="notebookPath"/> will train at this budget, before it does: its plan against the
    /// runs folder, and which of the runs it would train belong to an earlier notebook of the same folder (opened out of
    /// order, 08 trains 02's and 05's nets first).
    /// </summary>
    public static Foresight Foresee(string notebookPath, Budget budget, string runsDir, Func<TrainingEstimate> estimate,
        Models.Precision precision = Models.Precision.Fp32)
    {
        var plans = PlansOf(notebookPath, budget);
        var plan = plans.Count == 0 ? new NotebookPlan(Path.GetFileNameWithoutExtension(notebookPath), [])
            : Price(Path.GetFileNameWithoutExtension(notebookPath), plans, runsDir, estimate(), precision);
        var earlier = new Dictionary<string, string>(StringComparer.Ordinal);
        var toTrain = plan.ToTrain.Where(r => !r.OwnNet).Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        var folder = Path.GetDirectoryName(Path.GetFullPath(notebookPath))!;
        var name = Path.GetFileNameWithoutExtension(notebookPath);
        foreach (var other in Directory.EnumerateFiles(folder, "*.ipynb").Order(StringComparer.Ordinal))
        {
            var otherName = Path.GetFileNameWithoutExtension(other);
            if (string.CompareOrdinal(otherName, name) >= 0 || toTrain.Count == 0) break;
            if (!Declared.ContainsKey(otherName)) continue;
            foreach (var run in PlansOf(other, budget).SelectMany(p => p.AllRuns).Select(r => r.In(precision).RunName))
                if (toTrain.Remove(run)) earlier[run] = otherName;
        }
        return new Foresight(plan, earlier);
    }

    /// <summary>
    /// The foresight in words, the first thing a notebook shows: what it trains (each run's estimated time), what it
    /// reuses, the total, and — opened out of order — which earlier notebooks' runs it trains first.
    /// </summary>
    public static IReadOnlyList<string> Describe(Foresight foresight, Budget budget)
    {
        var plan = foresight.Plan;
        string Run(PlannedRun r) => r.OwnNet
            ? $"{r.Config.Model} (your net; {(r.Action == PlannedAction.Reuse ? "reused if unchanged since it last trained" : $"{Duration(r.Seconds)}, as the library's twin")})"
            : r.Name + (r.Action == PlannedAction.ReuseProjectRecord ? " (this project's committed record)"
                      : r.Action == PlannedAction.Resume ? $" (resumed from iteration {r.FromIteration:N0}, {Duration(r.Seconds)})"
                      : r.Action == PlannedAction.Train ? $" ({Duration(r.Seconds)})" : "");
        var train = plan.ToTrain.ToList();
        var reuse = plan.Runs.Where(r => r.Action is PlannedAction.Reuse or PlannedAction.ReuseFromEarlierNotebook or PlannedAction.ReuseProjectRecord).ToList();
        var head = $"{plan.Notebook} at budget {budget.Key}: ";
        if (plan.Runs.Count == 0) return [head + "trains nothing."];
        var lines = new List<string>
        {
            head + (train.Count == 0 ? "trains nothing" : $"trains {train.Count} run(s) — {string.Join(", ", train.Select(Run))}") +
            (reuse.Count == 0 ? "" : $"; reuses {reuse.Count} finished run(s) — {string.Join(", ", reuse.Select(Run))}") +
            (train.Count == 0 ? "." : $". {char.ToUpperInvariant(Duration(plan.Seconds)[0])}{Duration(plan.Seconds)[1..]} of training here ({string.Join("; ", train.Select(r => r.Estimate?.Basis).OfType<string>().Distinct())})."),
        };
        foreach (var group in train.Where(r => foresight.EarlierNotebook.ContainsKey(r.Name)).GroupBy(r => foresight.EarlierNotebook[r.Name]))
            lines.Add($"Opened before {group.Key}: {group.Count()} of the runs above {(group.Count() == 1 ? "is" : "are")} {group.Key}'s — this notebook trains {(group.Count() == 1 ? "it" : "them")} first " +
                      $"({Duration(group.Sum(r => r.Seconds))}: {string.Join(", ", group.Select(r => r.Name))}); run {group.Key} first to see them where they belong.");
        return lines;
    }

    /// <summary>An estimated time in words: "under 1 min", "about 12 min" or "about 3 h 05 min".</summary>
    public static string Duration(double seconds) => seconds switch
    {
        < 60 => "under 1 min",
        < 3570 => $"about {Math.Round(seconds / 60):0} min",
        _ => $"about {Math.Floor((seconds + 30) / 3600):0} h {Math.Floor((seconds + 30) % 3600 / 60):00} min",
    };

    /// <summary>
    /// What a render from existing runs only (<c>resnet reports --reuse-only</c>) lacks: each run the plans would train or
    /// resume, and each reused run whose weights (checkpoint.bin) a notebook loads but the folder does not hold (e.g. a
    /// records-only reference run) — each once, with the notebook that first needs it.
    /// </summary>
    public static IReadOnlyList<(PlannedRun Run, string Why)> MissingForReuseOnly(IReadOnlyList<NotebookPlan> plans, string runsDir)
    {
        var missing = new List<(PlannedRun, string)>();
        var named = new HashSet<string>(StringComparer.Ordinal);
        foreach (var run in plans.SelectMany(p => p.Runs))
        {
            var why = run.Action switch
            {
                PlannedAction.Train => run.OwnNet ? "not trained (a net the notebook defines)" : "not trained",
                PlannedAction.Resume => $"unfinished (iteration {run.FromIteration:N0})",
                _ when run.NeedsWeights && !run.OwnNet && !File.Exists(Path.Combine(Runs.Folder(run.Name, runsDir), Runs.CheckpointFile))
                    => $"finished but without its weights ({Runs.CheckpointFile}), which {run.Notebook} loads",
                _ => null,
            };
            if (why is not null && named.Add(run.Name)) missing.Add((run, why));
        }
        return missing;
    }
}
