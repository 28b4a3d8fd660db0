using System.Text.Json;
using System.Text.Json.Serialization;
using ResNetLab.Runtime;

namespace ResNetLab.Training;

public enum RunStatus { Running, Finished, Interrupted, Diverged, Failed }

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

/// <summary>The last evaluation of a run; <see cref="TestAccuracy"/> = 1 − <see cref="TestError"/>.</summary>
public sealed record FinalMetrics(double TrainLoss, double TrainError, double TestLoss, double TestError, int EvalImages)
{
    public double TestAccuracy => 1 - TestError;
}

/// <summary>
/// runs/&lt;name&gt;/run.json: what ran, on what, where and with what result. Anything that plots a run shows its
/// <see cref="Budget"/>, <see cref="DataSource"/>, <see cref="Split"/>, <see cref="Seed"/> and <see cref="Device"/>.
/// </summary>
public sealed record RunRecord
{
    public required string Name { get; init; }
    public required RunConfig Config { get; init; }
    public required string ConfigHash { get; init; }
    [JsonIgnore]
    public Budget Budget => Config.Budget;
    public required TrainingRecipe Recipe { get; init; }
    public WarmupRule? Warmup { get; init; }
    public int? WarmupEndedAt { get; init; }

    /// <summary>CIFAR-10 or CIFAR-100.</summary>
    public required string Dataset { get; init; }

    /// <summary>official, mirror or custom (see <see cref="Data.DataSource"/>).</summary>
    public required string DataSource { get; init; }

    /// <summary>The honest one-line label for charts, e.g. "CIFAR-10 lossy mirror (JPEG q75 pixels, …)".</summary>
    public required string DataLabel { get; init; }
    public required string DataDirectory { get; init; }

    /// <summary>E.g. "train 50,000 / test 10,000".</summary>
    public required string Split { get; init; }

    /// <summary>test or validation: what the test_* columns were measured on.</summary>
    public required string EvalSet { get; init; }
    public required long Seed { get; init; }
    public required string Device { get; init; }

    /// <summary>Activation layout the run trained with: nhwc (channels-last) or nchw; null in records made before it was kept.</summary>
    public string? Layout { get; init; }
    public required RuntimeInfo Runtime { get; init; }
    public required long Parameters { get; init; }
    public required DateTime StartedUtc { get; init; }
    public DateTime? EndedUtc { get; init; }

    /// <summary>Seconds spent training and evaluating, summed over every session of the run (resumes included).</summary>
    public double WallSeconds { get; init; }
    public required RunStatus Status { get; init; }
    public int Iteration { get; init; }
    public int Sessions { get; init; } = 1;
    public FinalMetrics? Final { get; init; }

    /// <summary>Peak resident memory of the (last) training process, MB: flat memory shows as a small, steady figure.</summary>
    public double PeakRssMb { get; init; }
    public string? Message { get; init; }

    /// <summary>E.g. "resnet20 (A) · quick · CIFAR-10 mirror · seed 0 · cpu" — for chart legends and titles.</summary>
    [JsonIgnore]
    public string Caption =>
        $"{Config.Model}{(Config.Shortcut is { } s ? $" ({s})" : "")} · {Budget.Name} · {Dataset} {DataSource} · {Split} · seed {Seed} · {Device}";
}

/// <summary>The JSON conventions of run records: snake_case names, enums as lower-case strings, indented.</summary>
public static class RunJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,   // NaN before the first batch of an interval
        RespectNullableAnnotations = true,   // a damaged file's "name": null is refused when read, not an NRE later
    };
}
