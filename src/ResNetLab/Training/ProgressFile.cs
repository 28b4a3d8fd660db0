using System.Text.Json;

namespace ResNetLab.Training;

/// <summary>
/// runs/&lt;name&gt;/progress.json: where a training process is, for whoever watches from outside it — `resnet reports`
/// following a headless notebook kernel, `resnet sweep status`. <see cref="EtaS"/> is null until the trainer can
/// estimate it; <see cref="TestError"/> null before the first evaluation. <see cref="State"/> is "training" or "finished".
/// </summary>
public sealed record ProgressSnapshot(
    string Run,
    string State,
    int Iteration,
    int Iterations,
    double TrainError,
    double? TestError,
    double ImagesPerS,
    double ElapsedS,
    double? EtaS,
    DateTime UpdatedUtc,
    int Pid)
{
    /// <summary>Share of the run's iterations done, 0 to 1.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double Fraction => Iterations > 0 ? Math.Clamp((double)Iteration / Iterations, 0, 1) : 0;

    /// <summary>Is the process that wrote this still running (on this machine)? A dead writer left a stale file.</summary>
    public bool WriterAlive() => Runtime.LocalProcess.IsAlive(Pid);
}

/// <summary>
/// Writes <see cref="FileName"/> in a run folder from the trainer's progress events: at most once per
/// <c>interval</c> (default 1 s) for steps, always at evaluations, checkpoints and the end. Each write replaces the
/// file atomically (temp + rename, <see cref="Runs.WriteAtomically(string, string, string?)"/>), so a reader never sees half of
/// one. Events are passed on to the inner observer unchanged.
/// </summary>
public sealed class ProgressFile(string runFolder, IProgress<TrainingProgress>? inner = null, TimeSpan? interval = null, Func<DateTime>? clock = null)
    : IProgress<TrainingProgress>
{
    /// <summary>The file's name in the run folder.</summary>
    public const string FileName = "progress.json";

    readonly string path = Path.Combine(runFolder, FileName);
    readonly TimeSpan interval = interval ?? TimeSpan.FromSeconds(1);
    readonly Func<DateTime> clock = clock ?? (() => DateTime.UtcNow);
    DateTime lastWrite = DateTime.MinValue;

    /// <summary>Number of times the file was written (tests check the throttling with it).</summary>
    public int Writes { get; private set; }

    /// <inheritdoc/>
    public void Report(TrainingProgress value)
    {
        var now = clock();
        if (value.Kind != ProgressKind.Step || now - lastWrite >= interval)
        {
            lastWrite = now;
            var snapshot = new ProgressSnapshot(value.Run, value.Kind == ProgressKind.Finished ? "finished" : "training",
                value.Iteration, value.Iterations, Finite(value.TrainError) ?? 0, Finite(value.TestError), Finite(value.ImagesPerSecond) ?? 0,
                value.Elapsed.TotalSeconds, value.Remaining?.TotalSeconds, now, Environment.ProcessId);
            Runs.WriteAtomically(path, JsonSerializer.Serialize(snapshot, RunJson.Options), "the progress file");
            Writes++;
        }
        inner?.Report(value);
    }

    static double? Finite(double? x) => x is { } v && double.IsFinite(v) ? v : null;

    /// <summary>The progress of the run in <paramref name="runFolder"/>, or null when there is none (or it is unreadable).</summary>
    public static ProgressSnapshot? TryRead(string runFolder)
    {
        var file = Path.Combine(runFolder, FileName);
        try
        {
            return File.Exists(file) ? JsonSerializer.Deserialize<ProgressSnapshot>(File.ReadAllText(file), RunJson.Options) : null;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
