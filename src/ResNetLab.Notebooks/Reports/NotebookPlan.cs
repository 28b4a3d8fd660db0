using System.Reflection;
using System.Text.RegularExpressions;
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
/// (<c>Experiments.X(lab.Budget)</c> in its code cells — the library's own plans, not a copy), which runs are finished
/// already (reused), which resume, which train, and the estimated time (<see cref="TrainingEstimate"/>).
/// </summary>
public static partial class NotebookPlans
{
    [GeneratedRegex(@"Experiments\.(?<method>[A-Z]\w*)\(\s*lab\.Budget\s*\)")]
    private static partial Regex PlanCall();

    /// <summary>The experiment plans a notebook file calls, in order of appearance.</summary>
    public static IReadOnlyList<IExperimentPlan> PlansOf(string notebookPath, Budget budget)
    {
        var doc = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(notebookPath));
        var code = string.Join("\n", (doc?["cells"]?.AsArray() ?? [])
            .Where(c => (string?)c?["cell_type"] == "code")
            .Select(c => c?["source"] is System.Text.Json.Nodes.JsonArray a ? string.Concat(a.Select(x => (string?)x)) : (string?)c?["source"] ?? ""));
        var plans = new List<IExperimentPlan>();
        foreach (var name in PlanCall().Matches(code).Select(m => m.Groups["method"].Value).Distinct())
        {
            var method = typeof(Experiments).GetMethod(name, BindingFlags.Public | BindingFlags.Static, [typeof(Budget)]);
            if (method is null || !typeof(IExperimentPlan).IsAssignableFrom(method.ReturnType))
                throw new InvalidDataException($"{notebookPath} calls Experiments.{name}(lab.Budget), which is not an experiment plan of the library");
            plans.Add((IExperimentPlan)method.Invoke(null, [budget])!);
        }
        return plans;
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
                var record = Runs.TryLoad(folder);
                var matches = record is not null && record.ConfigHash == config.Hash;
                var finished = matches && record!.Status == RunStatus.Finished;
                // a finished run from before version 0.4 has no snapshots: a notebook that measures them retrains it
                var outdated = snapshots && matches && Snapshots.MissingFrom(record, folder);
                // after this notebook the job has the run with snapshots unless it only reused one that kept none
                seen[config.RunName] = !finished || snapshots || Snapshots.Kept(folder);
                if (outdated) runs.Add(new(name, config, PlannedAction.Train, 0, estimate.Estimate(config)));
                else if (finished) runs.Add(new(name, config, PlannedAction.Reuse, record!.Iteration, null));
                else if (matches && record!.Iteration > 0 && File.Exists(Path.Combine(folder, Runs.CheckpointFile)))
                    runs.Add(new(name, config, PlannedAction.Resume, record.Iteration, estimate.Estimate(config, record.Iteration)));
                else runs.Add(new(name, config, PlannedAction.Train, 0, estimate.Estimate(config)));
            }
            result.Add(new NotebookPlan(name, runs));
        }
        return result;
    }
}
