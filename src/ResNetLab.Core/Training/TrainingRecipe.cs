namespace ResNetLab.Training;

/// <summary>
/// How the paper trains its CIFAR-10 networks (§4.2): "weight decay of 0.0001 and momentum of 0.9 … mini-batch size
/// of 128 … We start with a learning rate of 0.1, divide it by 10 at 32k and 48k iterations, and terminate training
/// at 64k iterations". Counted in iterations, as the paper does.
/// </summary>
public sealed record TrainingRecipe(
    int BatchSize,
    double LearningRate,
    double Momentum,
    double WeightDecay,
    int[] Milestones,
    double LrDecay,
    int Iterations)
{
    /// <summary>The paper's schedule, §4.2.</summary>
    public static TrainingRecipe Paper { get; } = new(
        BatchSize: 128, LearningRate: 0.1, Momentum: 0.9, WeightDecay: 1e-4,
        Milestones: [32_000, 48_000], LrDecay: 0.1, Iterations: 64_000);

    /// <summary>The same shape over fewer iterations: milestones at the same fractions (½ and ¾ for the paper's).</summary>
    public TrainingRecipe ScaledTo(int iterations)
    {
        if (iterations < 1) throw new ArgumentOutOfRangeException(nameof(iterations), iterations, "a schedule needs at least one iteration");
        return this with
        {
            Iterations = iterations,
            Milestones = Milestones.Select(m => (int)Math.Round((double)m * iterations / Iterations)).ToArray(),
        };
    }

    /// <summary>The scheduled rate at an iteration (0-based), before any warm-up.</summary>
    public double ScheduledRate(int iteration) =>
        LearningRate * Math.Pow(LrDecay, Milestones.Count(m => iteration >= m));

    /// <summary>Same values, milestones compared by content (so records and checkpoints round-trip equal).</summary>
    public bool Equals(TrainingRecipe? other) =>
        other is not null && BatchSize == other.BatchSize && LearningRate == other.LearningRate && Momentum == other.Momentum &&
        WeightDecay == other.WeightDecay && Milestones.AsSpan().SequenceEqual(other.Milestones) && LrDecay == other.LrDecay &&
        Iterations == other.Iterations;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(BatchSize, LearningRate, Iterations, Milestones.Length);
}

/// <summary>
/// §4.2, ResNet-110: "we use 0.01 to warm up the training until the training error is below 80% (about 400
/// iterations), and then go back to 0.1". The error is the mean over the last <see cref="Window"/> training batches:
/// 400, about one epoch of CIFAR-10 at batch 128, so the switch comes no earlier than the paper's "about 400
/// iterations". A 10-batch window was tried first: ResNet-110 crossed 80 % after 40 iterations at 0.01, went back to
/// 0.1 while still barely trained and collapsed to chance (loss ln 10) for good — the failure the warm-up exists to avoid;
/// a 100-batch window at <c>quick</c> switched at 100 and collapsed too (88.6 % training error at 150–250).
/// With <see cref="RampIterations"/> set the rule is a gradual warm-up instead (Goyal et al. 2017, §2.2): the rate
/// climbs linearly from <see cref="LearningRate"/> to the scheduled rate over that many iterations, whatever the error
/// — the short schedules' rule (<see cref="For"/>), where a 400-batch window cannot end before the first decay.
/// </summary>
public sealed record WarmupRule(double LearningRate = 0.01, double UntilTrainErrorBelow = 0.80, int Window = 400, int? RampIterations = null)
{
    /// <summary>§4.2's rule: lr 0.01 until the training error is below 80%, then the scheduled rate.</summary>
    public static WarmupRule Paper { get; } = new();

    /// <summary>The paper warms up its 110-layer network; we apply the same rule at that depth and beyond (1202).</summary>
    public const int PaperMinimumDepth = 110;

    /// <summary>The warm-up a run gets: forced on or off by <paramref name="setting"/>, else the paper's (§4.2) from 110 layers; fitted to the schedule (<see cref="For"/>).</summary>
    public static WarmupRule? Of(bool? setting, int depth, TrainingRecipe recipe) =>
        setting ?? depth >= PaperMinimumDepth ? For(recipe) : null;

    /// <summary>
    /// The warm-up fitted to a schedule. Where §4.2's rule can end within the first half of the iterations before the
    /// first decay (its 400-batch window ends at 400 at the earliest: from 1,600 iterations on, the paper's 64k
    /// included) it is the paper's rule. Shorter schedules (<c>quick</c>: first decay at 400) would spend all of that at
    /// 0.01 and never train at 0.1, so they ramp linearly from 0.01 over the first quarter of the iterations before the
    /// first decay (quick: 100) and train at 0.1 for the other three quarters. A schedule shorter than one window
    /// (<c>smoke</c>, CI's plumbing check) keeps the paper's rule and its run names: it ends before any rule would matter.
    /// </summary>
    public static WarmupRule For(TrainingRecipe recipe)
    {
        var firstDecay = recipe.Milestones.Length > 0 ? recipe.Milestones.Min() : recipe.Iterations;
        return 2 * Paper.Window <= firstDecay || recipe.Iterations < Paper.Window ? Paper : Paper with { RampIterations = Math.Max(1, firstDecay / 4) };
    }

    /// <summary>"ramp100": a gradual warm-up, for run names; null for the paper's rule.</summary>
    public string? NamePart => RampIterations is { } r ? $"ramp{r}" : null;

    /// <summary>What this rule does, for charts and the reports index when it is not the paper's.</summary>
    public string? Departure => RampIterations is { } r
        ? $"warm-up ramped linearly from {LearningRate:0.##} to the full rate over the first {r:N0} iterations (the paper's 0.01-until-80 % switch, judged over {Window} batches, cannot end before this schedule's first decay)"
        : null;
}
