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

    /// <summary>Trained from scratch.</summary>
    Train,
}

/// <summary>One run a notebook needs, what will happen to it, and how long that should take here.</summary>
public sealed record PlannedRun(string Notebook, RunConfig Config, PlannedAction Action, int FromIteration, DurationEstimate? Estimate)
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
/// The plan of a report job before it starts: for each notebook the experiment plans it calls
/// (declared in <see cref="Declared"/> — the library's own plans, not a copy), which runs are finished
/// already (reused), which resume, which train, and the estimated time (<see cref="TrainingEstimate"/>).
/// </summary>
public static class NotebookPlans
{
    /// <summary>
    /// Which of the library's plans each notebook trains, declared once (timm-style registry): the notebook's cells call
    /// these same <see cref="Experiments"/> methods with <c>lab.Budget</c> (a test holds every notebook to its entry), and
    /// the planner reads this table, never the cells. A notebook without training has an empty entry.
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<Func<Budget, IExperimentPlan>>> Declared { get; } =
        new Dictionary<string, IReadOnlyList<Func<Budget, IExperimentPlan>>>(StringComparer.Ordinal)
        {
            ["00-setup"] = [],
            ["01-residual-learning"] = [],
            ["02-degradation"] = [Experiments.Degradation],
            ["03-shortcut-options"] = [Experiments.ShortcutOptions],
            ["04-bottleneck"] = [Experiments.Bottleneck],
            ["05-very-deep"] = [Experiments.VeryDeep],
            ["06-layer-responses"] = [Experiments.LayerResponses],
            ["07-lesion-study"] = [Experiments.Lesions],
            ["08-gradient-flow"] = [Experiments.GradientFlow],
            ["09-loss-landscape"] = [Experiments.LossLandscape],
            ["10-preactivation"] = [Experiments.PreActivation],
        };

    /// <summary>The experiment plans a notebook trains (<see cref="Declared"/>), in order; a notebook missing from the registry is an error naming it.</summary>
    public static IReadOnlyList<IExperimentPlan> PlansOf(string notebookPath, Budget budget)
    {
        var name = Path.GetFileNameWithoutExtension(notebookPath);
        if (!Declared.TryGetValue(name, out var plans))
            throw new InvalidDataException($"{notebookPath} is not in the registry of notebook plans (NotebookPlans.Declared in " +
                                           "src/ResNetLab.Notebooks/Reports/NotebookPlan.cs): add its entry — the Experiments plans it trains, or none");
        return plans.Select(plan => plan(budget)).ToList();
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
        var result = new List<NotebookPlan>();
        foreach (var path in notebookPaths)
        {
            var name = Path.GetFileNameWithoutExtension(path);
            var runs = new List<PlannedRun>();
            foreach (var (config, snapshots) in PlansOf(path, budget).SelectMany(p => p.AllRuns.Select(r => (r.In(precision), p.MeasuresSnapshots))))
            {
                if (runs.Any(r => r.Name == config.RunName)) continue;
                var folder = Runs.Folder(config.RunName, runsDir);
                if (seen.TryGetValue(config.RunName, out var withSnapshots) && (withSnapshots || !snapshots))
                {
                    runs.Add(new(name, config, PlannedAction.ReuseFromEarlierNotebook, 0, null));
                    continue;
                }
                var decision = Experiment.Decide(config, folder, requireSnapshots: snapshots);
                var finished = decision.Record is { Status: RunStatus.Finished } && decision.Action != RunAction.Conflict;
                // after this notebook the job has the run with snapshots unless it only reused one that kept none
                seen[config.RunName] = !finished || snapshots || Snapshots.Kept(folder);
                runs.Add(decision.Action switch
                {
                    RunAction.Reuse => new(name, config, PlannedAction.Reuse, decision.Record!.Iteration, null),
                    RunAction.Resume => new(name, config, PlannedAction.Resume, decision.Record!.Iteration, estimate.Estimate(config, decision.Record.Iteration)),
                    _ => new(name, config, PlannedAction.Train, 0, estimate.Estimate(config)),   // train, retrain; a conflict is RunOrLoad's error to report
                });
            }
            result.Add(new NotebookPlan(name, runs));
        }
        return result;
    }
}
