using System.Text.Json;
using System.Text.Json.Serialization;
using ResNetLab.Models;
using ResNetLab.Runtime;

namespace ResNetLab.Training;

/// <summary>Where a run stands, as run.json records it.</summary>
public enum RunStatus
{
    /// <summary>Training now, or killed or stopped early before the end (run again to resume from its checkpoint).</summary>
    Running,

    /// <summary>Trained the budget's whole schedule.</summary>
    Finished,

    /// <summary>Stopped by the user; resumes from its last checkpoint.</summary>
    Interrupted,

    /// <summary>The loss became non-finite; the last good checkpoint is kept.</summary>
    Diverged,

    /// <summary>Stopped by an error (see <see cref="RunRecord.Message"/>).</summary>
    Failed,
}

/// <summary>The last evaluation of a run; <see cref="TestAccuracy"/> = 1 − <see cref="TestError"/>.</summary>
public sealed record FinalMetrics(double TrainLoss, double TrainError, double TestLoss, double TestError, int EvalImages)
{
    /// <summary>Test accuracy, 1 − test error.</summary>
    public double TestAccuracy => 1 - TestError;
}

/// <summary>
/// runs/&lt;name&gt;/run.json: what ran, on what, where and with what result. Anything that plots a run shows its
/// <see cref="Budget"/>, <see cref="DataSource"/>, <see cref="Split"/>, <see cref="Seed"/> and <see cref="Device"/>.
/// </summary>
public sealed record RunRecord
{
    /// <summary>The run's folder name under runs/ (<see cref="RunConfig.RunName"/>).</summary>
    public required string Name { get; init; }
    /// <summary>The config that defines the run (its identity).</summary>
    public required RunConfig Config { get; init; }
    /// <summary><see cref="RunConfig.Hash"/> of <see cref="Config"/>: a folder holding another config is never reused.</summary>
    public required string ConfigHash { get; init; }
    /// <summary>How much of the schedule the run got (from its config).</summary>
    [JsonIgnore]
    public Budget Budget => Config.Budget;
    /// <summary>The schedule actually trained (the paper's scaled to the budget, or a custom one).</summary>
    public required TrainingRecipe Recipe { get; init; }
    /// <summary>The warm-up rule in force (§4.2, ResNet-110 and deeper); null without warm-up.</summary>
    public WarmupRule? Warmup { get; init; }
    /// <summary>First iteration at the scheduled rate after the warm-up; null while warming up or without one.</summary>
    public int? WarmupEndedAt { get; init; }

    /// <summary>CIFAR-10 or CIFAR-100.</summary>
    public required string Dataset { get; init; }

    /// <summary>official, mirror or custom (see <see cref="Data.DataSource"/>).</summary>
    public required string DataSource { get; init; }

    /// <summary>The honest one-line label for charts, e.g. "CIFAR-10 lossy mirror (JPEG q75 pixels, …)".</summary>
    public required string DataLabel { get; init; }
    /// <summary>The data folder the run read.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>E.g. "train 50,000 / test 10,000".</summary>
    public required string Split { get; init; }

    /// <summary>test or validation: what the test_* columns were measured on.</summary>
    public required string EvalSet { get; init; }
    /// <summary>Seed of the initial weights, batch order, augmentation and validation split.</summary>
    public required long Seed { get; init; }
    /// <summary>The device it trained on, e.g. cpu or cuda:0.</summary>
    public required string Device { get; init; }

    /// <summary>Activation layout the run trained with: nhwc (channels-last) or nchw; null in records made before it was kept.</summary>
    public string? Layout { get; init; }
    /// <summary>TorchSharp, libtorch and .NET versions, device and threads of the (last) training process.</summary>
    public required RuntimeInfo Runtime { get; init; }
    /// <summary>Trainable parameters of the network as built (Table 6 lists the paper's).</summary>
    public required long Parameters { get; init; }
    /// <summary>When the first session started (UTC).</summary>
    public required DateTime StartedUtc { get; init; }
    /// <summary>When the run finished or stopped (UTC); null while running.</summary>
    public DateTime? EndedUtc { get; init; }

    /// <summary>Seconds spent training and evaluating, summed over every session of the run (resumes included).</summary>
    public double WallSeconds { get; init; }
    /// <summary>Running, finished, interrupted, diverged or failed.</summary>
    public required RunStatus Status { get; init; }
    /// <summary>Iterations completed.</summary>
    public int Iteration { get; init; }
    /// <summary>Training processes that worked on the run (1 + resumes).</summary>
    public int Sessions { get; init; } = 1;
    /// <summary>The last evaluation; null before the first.</summary>
    public FinalMetrics? Final { get; init; }

    /// <summary>Peak resident memory of the (last) training process, MB: flat memory shows as a small, steady figure.</summary>
    public double PeakRssMb { get; init; }

    /// <summary>Resident memory (MB) right after this session's first evaluation, when allocations have settled; null before it.</summary>
    public double? RssFirstEvalMb { get; init; }

    /// <summary>Resident memory (MB) after the latest evaluation: flat memory keeps it within a few % of <see cref="RssFirstEvalMb"/>.</summary>
    public double? RssLastEvalMb { get; init; }

    /// <summary>Growth of resident memory from the first evaluation to the latest, in % (issue 25: under 5 % over 3,200 iterations); null before two.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double? RssGrowthPercent => RssFirstEvalMb is > 0 and var first && RssLastEvalMb is { } last ? 100 * (last - first) / first : null;
    /// <summary>Why the run stopped when it did not finish (the error, or where it was interrupted).</summary>
    public string? Message { get; init; }

    /// <summary>E.g. "resnet20 (A) · quick · CIFAR-10 mirror · seed 0 · cpu" — for chart legends and titles.</summary>
    [JsonIgnore]
    public string Caption =>
        $"{Config.Model}{(Config.Shortcut is { } s ? $" ({s})" : "")} · {Budget.Name} · {Dataset} {DataSource} · {Split} · seed {Seed} · {Device}" +
        (Config.Precision == Models.Precision.Fp32 ? "" : $" · {Config.Precision.Name()}") +
        (Config.ZeroInitResidual ? " · zero-init" : "") +
        (Config.FittedWarmup?.RampIterations is { } ramp ? $" · warm-up ramp {ramp}" : "");
}
