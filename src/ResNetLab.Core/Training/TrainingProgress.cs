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
