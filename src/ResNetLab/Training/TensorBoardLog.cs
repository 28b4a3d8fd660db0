using static TorchSharp.torch.utils;

namespace ResNetLab.Training;

/// <summary>
/// A run's scalars as TensorBoard event files in its folder (`tensorboard --logdir runs/` shows one run per folder),
/// at the same points as metrics.csv: train/test loss and error, learning rate, images/s and whether the warm-up is on.
/// Written with TorchSharp's SummaryWriter. A resumed session rebuilds the log from the checkpoint's rows and then
/// appends, so no step is ever logged twice (rows evaluated after the checkpoint were lost with the killed process).
/// </summary>
public static class TensorBoardLog
{
    /// <summary>Event files are named events.out.tfevents.* (TensorBoard reads every such file in a folder).</summary>
    public const string FilePattern = "events.out.tfevents.*";

    /// <summary>The tags every evaluation writes, in order; test_* are "validation/…" on a validation split.</summary>
    public static IReadOnlyList<string> Tags(string evalName) =>
        ["train/loss", "train/error", $"{evalName}/loss", $"{evalName}/error", "lr", "images_per_s", "warmup"];

    /// <summary>Start a session's log: remove earlier event files, then write <paramref name="restored"/> again.</summary>
    public static TorchSharp.Modules.SummaryWriter Start(string runFolder, IEnumerable<(MetricsRow Row, bool WarmingUp)> restored, string evalName)
    {
        foreach (var old in Directory.EnumerateFiles(runFolder, FilePattern)) File.Delete(old);
        TorchSharp.Modules.SummaryWriter? writer = null;
        Guard(runFolder, () => writer = tensorboard.SummaryWriter(runFolder));
        foreach (var (row, warming) in restored) Append(writer!, row, warming, evalName);
        return writer!;
    }

    /// <summary>The event file is appended in place (SummaryWriter's own format); a full disk ends in one error naming it.</summary>
    static void Guard(string runFolder, Action write) =>
        Runtime.AtomicFile.Guard(Path.Combine(runFolder, "events.out.tfevents"), "the TensorBoard log", write);

    /// <summary>Write one metrics row's scalars (<see cref="Tags"/>) at its iteration.</summary>
    public static void Append(TorchSharp.Modules.SummaryWriter writer, MetricsRow row, bool warmingUp, string evalName)
    {
        // Wall time in whole Unix seconds, what TensorBoard expects (SummaryWriter's own default is .NET ticks).
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        double[] values = [row.TrainLoss, row.TrainError, row.TestLoss, row.TestError, row.LearningRate, row.ImagesPerSecond, warmingUp ? 1 : 0];
        var tags = Tags(evalName);
        Guard(writer.LogDir, () =>
        {
            for (var i = 0; i < tags.Count; i++) writer.add_scalar(tags[i], (float)values[i], row.Iteration, now);
        });
    }
}
