using ResNetLab.Runtime;
using ResNetLab.Models;
namespace ResNetLab.Training;

/// <summary>An estimated duration and what it rests on, e.g. "from 2 finished resnet20 runs here".</summary>
public sealed record DurationEstimate(double Seconds, string Basis);

/// <summary>
/// How long a run will take on this machine. The work of a run is counted in training-image equivalents (an evaluated
/// test image costs about a third of a trained one: forward only) times the model's multiply-adds; the rate comes
/// from finished runs in the runs folder (each by its median evaluation interval, <see cref="Rate"/>, which includes
/// evaluation and data loading but not pauses), preferring runs of the
/// same precision (bf16 trains ~1.5× faster than fp32 on a CPU with native BF16): the same model's runs, else all runs
/// of that precision scaled by multiply-adds, else the same rules over runs of the other precision (the basis says so)
/// — or, with no finished run at all, from a short measurement of ResNet-20 training steps (<see cref="Bench.TrainImagesPerSecond"/>).
/// </summary>
public sealed class TrainingEstimate
{
    /// <summary>Forward-only evaluation costs about a third of a forward+backward+update step per image.</summary>
    const double EvalCost = 1.0 / 3;

    readonly Dictionary<(string Model, Precision Precision), List<double>> unitsPerSecondByModel;
    readonly Dictionary<Precision, List<double>> macRates;   // training-image equivalents × multiply-adds per second
    readonly Func<string, double> multiplyAdds;
    readonly Func<double>? measure;
    double? measuredMacRate;

    TrainingEstimate(Dictionary<(string, Precision), List<double>> byModel, Dictionary<Precision, List<double>> macRates,
        Func<string, double> multiplyAdds, Func<double>? measure)
    {
        unitsPerSecondByModel = byModel; this.macRates = macRates; this.multiplyAdds = multiplyAdds; this.measure = measure;
    }

    /// <summary>Finished runs the rates come from.</summary>
    public int FinishedRuns => unitsPerSecondByModel.Values.Sum(v => v.Count);

    /// <summary>
    /// Rates from the finished runs in <paramref name="runsDir"/>. <paramref name="multiplyAdds"/> (default: the model
    /// registry, measured) and <paramref name="measure"/> (default: 5 ResNet-20 steps at the recipe's batch of 128 after 2
    /// warm-up steps, returning multiply-adds per second — at batch 32 and 3 steps the same machine priced `reports`
    /// at 2 h 51 min and 4 h 26 min a minute apart) are replaceable for tests.
    /// </summary>
    public static TrainingEstimate FromRuns(string runsDir, Func<string, double>? multiplyAdds = null, Func<double>? measure = null)
    {
        multiplyAdds ??= model => ModelZoo.Info(model).MultiplyAdds;
        measure ??= () => Bench.TrainImagesPerSecond(MeasuredModel, MeasuredBatch, MeasuredSteps, warmup: 2) * multiplyAdds(MeasuredModel);
        var byModel = new Dictionary<(string, Precision), List<double>>();
        var macRates = new Dictionary<Precision, List<double>>();
        if (Directory.Exists(runsDir))
        {
            foreach (var (folder, record) in Runs.List(runsDir))
            {
                if (record.Status != RunStatus.Finished || record.WallSeconds <= 0 || record.Iteration <= 0) continue;
                var rate = Rate(folder, record);
                var key = (record.Config.Model, record.Config.Precision);
                if (!byModel.TryGetValue(key, out var list)) byModel[key] = list = [];
                list.Add(rate);
                if (!macRates.TryGetValue(record.Config.Precision, out var macs)) macRates[record.Config.Precision] = macs = [];
                try { macs.Add(rate * multiplyAdds(record.Config.Model)); }
                catch (ArgumentException) { }   // a model no longer registered: its own-rate sample still counts
            }
        }
        return new TrainingEstimate(byModel, macRates, multiplyAdds, measure);
    }

    /// <summary>
    /// Training-image equivalents per second of a finished run: the median over its evaluation intervals (metrics.csv's
    /// elapsed_s between consecutive rows) when it has at least two, so a pause — a suspended laptop, a SIGSTOP, a run
    /// left stopped between sessions' start-ups — is one slow interval and not part of the rate; else its wall time.
    /// </summary>
    public static double Rate(string folder, RunRecord record)
    {
        IReadOnlyList<MetricsRow> rows;
        try { rows = Runs.ReadMetrics(folder); }
        catch (Exception e) when (e is IOException or InvalidDataException) { rows = []; }
        var rates = new List<double>();
        for (var i = 1; i < rows.Count; i++)
        {
            var seconds = rows[i].ElapsedSeconds - rows[i - 1].ElapsedSeconds;
            if (seconds > 0 && rows[i].Iteration > rows[i - 1].Iteration)
                rates.Add(Units(record.Config, rows[i].Iteration, rows[i - 1].Iteration) / seconds);
        }
        return rates.Count >= 2 ? Stats.Median(rates) : Units(record.Config, record.Iteration) / record.WallSeconds;
    }

    /// <summary>Training-image equivalents of iterations [<paramref name="from"/>, <paramref name="to"/>) of a run.</summary>
    public static double Units(RunConfig config, int to, int from = 0)
    {
        var recipe = config.ResolvedRecipe;
        var evalEvery = Math.Max(1, config.Budget.EvalEvery);
        var evaluations = to / evalEvery - from / evalEvery + (to % evalEvery != 0 && to == recipe.Iterations ? 1 : 0);
        var evalImages = config.Budget.EvalImages ?? 10_000;
        return (double)(to - from) * recipe.BatchSize + EvalCost * evaluations * evalImages;
    }

    /// <summary>Seconds to train <paramref name="config"/> from iteration <paramref name="from"/> to its end.</summary>
    public DurationEstimate Estimate(RunConfig config, int from = 0)
    {
        var units = Units(config, config.ResolvedRecipe.Iterations, from);
        // this precision's runs first; then the other precision's, said in the basis (their speed differs)
        foreach (var precision in new[] { config.Precision }.Concat(Enum.GetValues<Precision>().Where(p => p != config.Precision)))
        {
            var other = precision == config.Precision ? "" : $" in {precision.Name()} (this run is {config.Precision.Name()})";
            if (unitsPerSecondByModel.TryGetValue((config.Model, precision), out var same))
                return new(units / Stats.Median(same), $"from {same.Count} finished {config.Model} run(s) here{other}");
            if (macRates.TryGetValue(precision, out var rates) && rates.Count > 0)
                return new(units * multiplyAdds(config.Model) / Stats.Median(rates), $"from {rates.Count} finished run(s) here{other}, scaled by multiply-adds");
        }
        measuredMacRate ??= measure?.Invoke() ?? throw new InvalidOperationException("no finished runs and no way to measure");
        return new(units * multiplyAdds(config.Model) / measuredMacRate.Value, $"from {MeasuredSteps} ResNet-20 fp32 training steps (batch {MeasuredBatch}) measured just now, scaled by multiply-adds");
    }

    // What the estimate measures when no finished run can price a plan (said in the estimate's basis).
    const string MeasuredModel = "resnet20";
    const int MeasuredBatch = 128, MeasuredSteps = 5;
}
