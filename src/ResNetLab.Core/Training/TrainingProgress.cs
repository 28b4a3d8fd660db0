namespace ResNetLab.Training;

/// <summary>What a <see cref="TrainingProgress"/> event reports.</summary>
public enum ProgressKind
{
    /// <summary>A training step (test figures are the latest evaluation's).</summary>
    Step,

    /// <summary>A new metrics row was evaluated.</summary>
    Evaluation,

    /// <summary>A checkpoint was saved.</summary>
    Checkpoint,

    /// <summary>The schedule is complete.</summary>
    Finished,
}

/// <summary>
/// One progress event. Train loss/error are over the batches since the last evaluation; test figures are those of
/// the latest evaluation (null before the first). The CLI draws a progress bar from these; notebooks a live chart.
/// </summary>
public sealed record TrainingProgress(
    string Run,
    ProgressKind Kind,
    int Iteration,
    int Iterations,
    double LearningRate,
    bool WarmingUp,
    double TrainLoss,
    double TrainError,
    double? TestLoss,
    double? TestError,
    double ImagesPerSecond,
    TimeSpan Elapsed,
    TimeSpan? Remaining);

/// <summary>A non-finite loss (or weights) stopped the run; the last good checkpoint is kept.</summary>
public sealed class TrainingDivergedException(string message) : InvalidOperationException(message);

/// <summary>
/// The time left in a run, from how long its recent steps and evaluations took: the median of the last
/// <see cref="Window"/> of each, so a pause (a suspended laptop, a SIGSTOP, a burst of other work) shows up as one slow
/// step and is forgotten, where an average over the session would inflate the estimate for the rest of it.
/// </summary>
public sealed class Pace
{
    /// <summary>How many recent durations of each kind count.</summary>
    public const int Window = 200;

    readonly double[] steps = new double[Window], evaluations = new double[Window];
    int stepCount, evaluationCount;

    /// <summary>One training iteration took <paramref name="seconds"/>.</summary>
    public void Step(double seconds) => steps[stepCount++ % Window] = seconds;

    /// <summary>One evaluation took <paramref name="seconds"/>.</summary>
    public void Evaluation(double seconds) => evaluations[evaluationCount++ % Window] = seconds;

    /// <summary>Time for <paramref name="iterations"/> more steps and <paramref name="evaluationsLeft"/> evaluations; null before the first step.</summary>
    public TimeSpan? Remaining(int iterations, int evaluationsLeft)
    {
        if (stepCount == 0) return null;
        var seconds = Median(steps, stepCount) * iterations + (evaluationCount == 0 ? 0 : Median(evaluations, evaluationCount) * evaluationsLeft);
        return TimeSpan.FromSeconds(seconds);
    }

    static double Median(double[] values, int count)
    {
        var recent = values[..Math.Min(count, Window)];
        Array.Sort(recent);
        var n = recent.Length;
        return n % 2 == 1 ? recent[n / 2] : (recent[n / 2 - 1] + recent[n / 2]) / 2;
    }
}
