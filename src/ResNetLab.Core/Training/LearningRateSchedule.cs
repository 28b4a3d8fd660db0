namespace ResNetLab.Training;

/// <summary>Where a warm-up stands; saved in checkpoints so a resumed run makes the same switch at the same iteration.</summary>
public sealed record WarmupState(int? EndedAt, double[] RecentErrors)
{
    /// <summary>Before training: no switch yet, no errors seen.</summary>
    public static WarmupState Start { get; } = new(null, []);
}

/// <summary>
/// The learning rate per iteration: the recipe's step schedule, preceded (when a <see cref="WarmupRule"/> is given)
/// by a warm-up at the lower rate that ends — and returns to the scheduled rate — once the recent training error
/// falls below the threshold, or (a gradual warm-up, <see cref="WarmupRule.RampIterations"/>) climbs linearly to it.
/// </summary>
public sealed class LearningRateSchedule
{
    readonly TrainingRecipe recipe;
    readonly Queue<double> recent = new();

    /// <summary>The schedule of <paramref name="recipe"/>, with <paramref name="warmup"/> first when given.</summary>
    /// <param name="recipe">The step schedule (§4.2: 0.1, ÷10 at 32k and 48k).</param>
    /// <param name="warmup">The warm-up rule; null for none.</param>
    /// <param name="state">Where a resumed run's warm-up stood (from its checkpoint); null for a new run.</param>
    public LearningRateSchedule(TrainingRecipe recipe, WarmupRule? warmup, WarmupState? state = null)
    {
        this.recipe = recipe;
        Warmup = warmup;
        state ??= WarmupState.Start;
        WarmupEndedAt = state.EndedAt;
        foreach (var e in state.RecentErrors) recent.Enqueue(e);
    }

    /// <summary>The warm-up rule, or null for a run without warm-up (shallower than 110 layers, §4.2).</summary>
    public WarmupRule? Warmup { get; }

    /// <summary>The first iteration trained at the scheduled rate after warm-up; null while warming up or without warm-up.</summary>
    public int? WarmupEndedAt { get; private set; }

    /// <summary>True until the warm-up has switched to the scheduled rate.</summary>
    public bool WarmingUp => Warmup is not null && WarmupEndedAt is null;

    /// <summary>The warm-up's progress, to save in a checkpoint.</summary>
    public WarmupState State => new(WarmupEndedAt, recent.ToArray());

    /// <summary>The rate for <paramref name="iteration"/>. During warm-up never above the schedule (it cannot undo a decay).</summary>
    public double RateAt(int iteration)
    {
        var scheduled = recipe.ScheduledRate(iteration);
        if (Warmup is { RampIterations: { } ramp } && iteration < ramp)
            return Math.Min(scheduled, Warmup.LearningRate + (recipe.LearningRate - Warmup.LearningRate) * iteration / ramp);
        return WarmingUp ? Math.Min(Warmup!.LearningRate, scheduled) : scheduled;
    }

    /// <summary>Feed the training error of the batch just trained at <paramref name="iteration"/>.</summary>
    public void Observe(int iteration, double trainError)
    {
        if (!WarmingUp) return;
        if (Warmup!.RampIterations is { } ramp)
        {
            if (iteration + 1 >= ramp) WarmupEndedAt = ramp;   // a ramp ends by the clock, not by the error
            return;
        }
        recent.Enqueue(trainError);
        while (recent.Count > Warmup!.Window) recent.Dequeue();
        if (recent.Count == Warmup.Window && recent.Average() < Warmup.UntilTrainErrorBelow)
        {
            WarmupEndedAt = iteration + 1;
            recent.Clear();
        }
    }
}
