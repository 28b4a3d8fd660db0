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
/// The time left in a run, from how long its recent steps and evaluations took. Each kind's typical duration is the
/// mean of its last <see cref="Window"/> durations without the pauses — a duration over <see cref="PauseFactor"/> times
/// their median (a suspended laptop, a SIGSTOP, a burst of other work) is one slow step that is forgotten, where an
/// average over the session would inflate the estimate for the rest of it. The mean, not the median: step times are
/// skewed (a checkpoint, a collection, the report after an evaluation), and the median of a long run's steps sat ~8 %
/// below their mean, so the estimate ran early by as much.
/// </summary>
public sealed class Pace
{
    /// <summary>How many recent durations of each kind count.</summary>
    public const int Window = 200;

    /// <summary>A duration over this many times the window's median is a pause, not the pace.</summary>
    public const double PauseFactor = 4;

    readonly double[] steps = new double[Window], evaluations = new double[Window];
    int stepCount, evaluationCount;

    /// <summary>One training iteration (with its report and any checkpoint) took <paramref name="seconds"/>.</summary>
    public void Step(double seconds) => steps[stepCount++ % Window] = seconds;

    /// <summary>One evaluation took <paramref name="seconds"/>.</summary>
    public void Evaluation(double seconds) => evaluations[evaluationCount++ % Window] = seconds;

    /// <summary>
    /// Whether a step of <paramref name="seconds"/> was a pause rather than work: over <see cref="PauseFactor"/> times
    /// the median of the recent steps (never before 10 steps are known).
    /// </summary>
    public bool IsPause(double seconds) => stepCount >= 10 && seconds > PauseFactor * Median(Recent(steps, stepCount));

    /// <summary>Time for <paramref name="iterations"/> more steps and <paramref name="evaluationsLeft"/> evaluations; null before the first step.</summary>
    public TimeSpan? Remaining(int iterations, int evaluationsLeft)
    {
        if (stepCount == 0) return null;
        var seconds = Typical(steps, stepCount) * iterations + (evaluationCount == 0 ? 0 : Typical(evaluations, evaluationCount) * evaluationsLeft);
        return TimeSpan.FromSeconds(seconds);
    }

    static double[] Recent(double[] values, int count)
    {
        var recent = values[..Math.Min(count, Window)];
        Array.Sort(recent);
        return recent;
    }

    static double Median(double[] sorted)
    {
        var n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /// <summary>The mean of the recent durations up to <see cref="PauseFactor"/> times their median.</summary>
    static double Typical(double[] values, int count)
    {
        var recent = Recent(values, count);
        var limit = PauseFactor * Median(recent);
        double sum = 0;
        var n = 0;
        foreach (var v in recent)
            if (v <= limit) { sum += v; n++; }
        return sum / n;
    }
}
