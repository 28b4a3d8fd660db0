using ResNetLab.Runtime;
using static TorchSharp.torch;

namespace ResNetLab.Training;

/// <summary>
/// One run's folder, runs/&lt;name&gt;/, and the only writer of its files: run.json (the record), metrics.csv (one row
/// per evaluation), checkpoint.bin (weights, momentum, schedule state), snapshots/ (weights at a few iterations) and the lock that keeps a second process out.
/// Every file is replaced atomically, so a reader (a notebook, `resnet sweep status`) never sees half of one.
/// </summary>
public sealed class RunFolder(string path)
{
    /// <summary>runs/&lt;run name&gt; under <paramref name="runsDir"/> (default <see cref="RepoPaths.RunsDir"/>).</summary>
    public static RunFolder For(RunConfig config, string? runsDir = null) => new(Runs.Folder(config.RunName, runsDir));

    /// <summary>Absolute path of the run folder.</summary>
    public string Path { get; } = System.IO.Path.GetFullPath(path);
    /// <summary>The run name (the folder's name).</summary>
    public string Name => System.IO.Path.GetFileName(Path);
    /// <summary>run.json: what ran, on what, with what result.</summary>
    public string RecordPath => System.IO.Path.Combine(Path, Runs.RecordFile);
    /// <summary>metrics.csv: one row per evaluation.</summary>
    public string MetricsPath => System.IO.Path.Combine(Path, Runs.MetricsFile);
    /// <summary>checkpoint.bin: weights, momentum and state of the last checkpoint.</summary>
    public string CheckpointPath => System.IO.Path.Combine(Path, Runs.CheckpointFile);
    /// <summary>Whether a checkpoint exists (a run to resume).</summary>
    public bool HasCheckpoint => File.Exists(CheckpointPath);

    /// <summary>The record, or null when the folder holds none yet.</summary>
    public RunRecord? TryLoadRecord() => Runs.TryLoad(Path);
    /// <summary>The record; an error when there is none or it is damaged.</summary>
    public RunRecord LoadRecord() => Runs.Load(Path);
    /// <summary>Replace run.json atomically.</summary>
    public void SaveRecord(RunRecord record) => Runs.Save(Path, record);

    /// <summary>The rows of metrics.csv; an error before the first evaluation.</summary>
    public IReadOnlyList<MetricsRow> ReadMetrics() => Runs.ReadMetrics(Path);
    /// <summary>Replace metrics.csv atomically with these rows.</summary>
    public void WriteMetrics(IEnumerable<MetricsRow> rows) => Runs.WriteMetrics(Path, rows);

    /// <summary>The state of the last checkpoint (no weights loaded), or null when there is none.</summary>
    public CheckpointState? ReadCheckpointState() => HasCheckpoint ? Checkpoint.ReadState(CheckpointPath) : null;

    /// <summary>Replace checkpoint.bin atomically: state, weights and momentum.</summary>
    public void SaveCheckpoint(CheckpointState state, nn.Module model, MomentumSgd optimizer) =>
        Checkpoint.Save(CheckpointPath, state, model, optimizer);

    /// <summary>Load the checkpoint's weights (and momentum, when an optimizer is given) into the model.</summary>
    public CheckpointState LoadCheckpoint(nn.Module model, MomentumSgd? optimizer) => Checkpoint.Load(CheckpointPath, model, optimizer);

    /// <summary>snapshots/: the weights at a few iterations (see <see cref="Training.Snapshots"/>).</summary>
    public string SnapshotsPath => System.IO.Path.Combine(Path, Snapshots.FolderName);

    /// <summary>Replace snapshots/iter-N.safetensors atomically with the model's weights now.</summary>
    public void SaveSnapshot(int iteration, nn.Module model) =>
        Snapshots.Save(System.IO.Path.Combine(SnapshotsPath, Snapshots.FileName(iteration)), model, iteration);

    /// <summary>The snapshots written so far, by iteration (none for runs trained before version 0.4).</summary>
    public IReadOnlyList<(int Iteration, string Path)> ListSnapshots() => Snapshots.List(Path);

    TorchSharp.Modules.SummaryWriter? tensorBoard;

    /// <summary>Begin this session's TensorBoard log with the rows it continues from (see <see cref="TensorBoardLog"/>).</summary>
    public void StartTensorBoard(IEnumerable<(MetricsRow Row, bool WarmingUp)> restored, string evalName)
    {
        Directory.CreateDirectory(Path);
        tensorBoard = TensorBoardLog.Start(Path, restored, evalName);
    }

    /// <summary>Append one evaluation to the TensorBoard log started by <see cref="StartTensorBoard"/>.</summary>
    public void AppendTensorBoard(MetricsRow row, bool warmingUp, string evalName)
    {
        if (tensorBoard is null) throw new InvalidOperationException($"{Path}: the TensorBoard log was not started");
        TensorBoardLog.Append(tensorBoard, row, warmingUp, evalName);
    }

    /// <summary>Progress events passed on to <paramref name="inner"/> and kept in progress.json (read by `resnet reports` and `sweep status`).</summary>
    public IProgress<TrainingProgress> ProgressWriter(IProgress<TrainingProgress>? inner) => new ProgressFile(Path, inner);

    /// <summary>Delete everything the run wrote (a forced retrain), keeping the lock held by the caller.</summary>
    public void Clear()
    {
        if (!Directory.Exists(Path)) return;
        foreach (var file in Directory.EnumerateFiles(Path).Where(f => System.IO.Path.GetFileName(f) != RunLock.FileName)) File.Delete(file);
        if (Directory.Exists(SnapshotsPath)) Directory.Delete(SnapshotsPath, recursive: true);
    }

    /// <summary>
    /// One process trains a run at a time — a notebook and the CLI, or two cluster tasks on nodes sharing the runs
    /// folder (<see cref="RunLock"/>: an O_EXCL lock file with a heartbeat, safe on local disks and NFS).
    /// </summary>
    public IDisposable Lock() => RunLock.Acquire(Path);

    /// <inheritdoc/>
    public override string ToString() => Path;
}
