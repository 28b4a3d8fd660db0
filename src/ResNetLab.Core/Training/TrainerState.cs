using ResNetLab.Data;
using static TorchSharp.torch;

namespace ResNetLab.Training;

/// <summary>One evaluation point (metrics.csv row). Train figures are over the batches seen since the previous row.</summary>
public sealed record MetricsRow(
    int Iteration,
    double LearningRate,
    double TrainLoss,
    double TrainError,
    double TestLoss,
    double TestError,
    double ImagesPerSecond,
    double ElapsedSeconds);

/// <summary>Everything but tensors that a resumed run needs to continue exactly where it stopped.</summary>
public sealed record CheckpointState
{
    /// <summary>The config the run was started with; a resume under another config is refused.</summary>
    public required RunConfig Config { get; init; }
    /// <summary><see cref="RunConfig.Hash"/> of that config.</summary>
    public required string ConfigHash { get; init; }

    /// <summary>Iterations completed; training resumes at this (0-based) iteration.</summary>
    public required int Iteration { get; init; }
    /// <summary>Where the warm-up stood, so a resumed run switches at the same iteration.</summary>
    public required WarmupState Warmup { get; init; }

    /// <summary>Training loss/error sums since the last evaluation (a checkpoint may fall between evaluations).</summary>
    public required IntervalTotals Interval { get; init; }
    /// <summary>Every metrics row so far (the rows after the checkpoint were lost with the stopped process).</summary>
    public required List<MetricsRow> Metrics { get; init; }
    /// <summary>Training and evaluation seconds over all sessions up to the checkpoint.</summary>
    public required double ElapsedSeconds { get; init; }
    /// <summary>The normalisation the run trains with (the paper's mean is computed once, from its training images).</summary>
    public required Normalization Normalization { get; init; }

    /// <summary>The default CPU generator's state (base64), for any randomness inside the model.</summary>
    public required string CpuRngState { get; init; }
}

/// <summary>Running sums of the training batches since the last evaluation.</summary>
public sealed record IntervalTotals(double LossSum, long Errors, long Images, int Batches)
{
    /// <summary>No batches yet (the start of an interval).</summary>
    public static IntervalTotals Empty { get; } = new(0, 0, 0, 0);
    /// <summary>The totals with one more batch counted.</summary>
    public IntervalTotals Add(double batchLoss, long errors, long images) => new(LossSum + batchLoss, Errors + errors, Images + images, Batches + 1);
    /// <summary>Mean batch loss over the interval; NaN before the first batch.</summary>
    public double MeanLoss => Batches == 0 ? double.NaN : LossSum / Batches;
    /// <summary>Top-1 training error over the interval's images; NaN before the first batch.</summary>
    public double ErrorRate => Images == 0 ? double.NaN : (double)Errors / Images;
}

/// <summary>The default CPU generator's state, saved in checkpoints so a resumed run draws the same random numbers.</summary>
public static class GeneratorState
{
    /// <summary>The CPU generator's state (base64), so a resumed run draws the same random numbers.</summary>
    public static string Capture()
    {
        using var state = random.get_rng_state();
        return Convert.ToBase64String(state.bytes.ToArray());
    }

    /// <summary>Restore a state from <see cref="Capture"/>.</summary>
    public static void Restore(string base64)
    {
        var bytes = Validate(base64);
        using var state = tensor(bytes, ScalarType.Byte);
        random.set_rng_state(state);
    }

    /// <summary>The generator state's bytes; a state of another length would make libtorch fail later, at resume.</summary>
    public static byte[] Validate(string? base64)
    {
        var bytes = Convert.FromBase64String(base64 ?? throw new InvalidDataException("no generator state"));
        using var current = random.get_rng_state();
        if (bytes.Length != current.numel())
            throw new InvalidDataException($"generator state has {bytes.Length} bytes, libtorch's has {current.numel()}");
        return bytes;
    }
}
