using Microsoft.Data.Analysis;
using TorchSharp;
using ResNetLab.Data;
using ResNetLab.Models;
using ResNetLab.Runtime;
using static TorchSharp.torch;

namespace ResNetLab.Training;

/// <summary>Where and how to run; nothing here changes a run's numbers (see <see cref="RunConfig"/> for that).</summary>
public sealed record ExperimentOptions
{
    /// <summary>Default: <see cref="RepoPaths.RunsDir"/>.</summary>
    public string? RunsDir { get; init; }

    /// <summary>Dataset folder or its parent; default: RESNET_DATA, then data/ (<see cref="DataLocation"/>).</summary>
    public string? DataDir { get; init; }
    /// <summary>CPU, CUDA or auto (CUDA when visible).</summary>
    public DeviceChoice Device { get; init; } = DeviceChoice.Auto;
    /// <summary>Torch intra-op threads; null keeps libtorch's default.</summary>
    public int? Threads { get; init; }

    /// <summary>Retrain even when a finished run with this config exists (its folder is replaced).</summary>
    public bool Force { get; init; }

    /// <summary>
    /// The caller reads the run's weight snapshots: a finished run without them (<see cref="Snapshots.Kept"/>: trained
    /// before version 0.4) is retrained from scratch instead of reused.
    /// </summary>
    public bool RequireSnapshots { get; init; }

    /// <summary>
    /// Records suffice (<see cref="IExperimentPlan.ProjectRecordsServe"/>): when the runs folder has no run of this name,
    /// a finished record of the same run committed under this folder (<see cref="ReferenceRuns.Match"/>) is returned
    /// instead of training. Null (the default): never.
    /// </summary>
    public string? ProjectRecords { get; init; }

    /// <summary>Stop after this many iterations without a final checkpoint — what a kill leaves behind (tests, demos).</summary>
    public int? StopAfter { get; init; }
    /// <summary>Images per evaluation batch: a memory knob, not part of the run's identity.</summary>
    public int EvalBatchSize { get; init; } = 500;

    /// <summary>Builds the network for a config (tests inject odd ones); default: <see cref="Experiment.CreateModel"/>.</summary>
    public Func<RunConfig, nn.Module<Tensor, Tensor>>? ModelFactory { get; init; }
}

/// <summary>What <see cref="Experiment.RunOrLoad"/> did to produce its result.</summary>
public enum RunOutcome
{
    /// <summary>Trained from scratch by this call.</summary>
    Trained,

    /// <summary>Continued from an interrupted run's last checkpoint.</summary>
    Resumed,

    /// <summary>A finished run with the same config was found; nothing trained.</summary>
    Reused,

    /// <summary>Stopped early on purpose (<see cref="ExperimentOptions.StopAfter"/>), without a final checkpoint.</summary>
    Stopped,
}

/// <summary>What a run's folder calls for (<see cref="Experiment.Decide"/>): the one reuse/resume/train rule.</summary>
public enum RunAction
{
    /// <summary>A finished run with this config: load it, train nothing.</summary>
    Reuse,

    /// <summary>An unfinished run with this config and a checkpoint: continue from it.</summary>
    Resume,

    /// <summary>Nothing usable yet: train from scratch.</summary>
    Train,

    /// <summary>A finished run that cannot serve (forced, or it kept no snapshots the caller reads): clear and train again.</summary>
    Retrain,

    /// <summary>The folder holds a run of another config: neither reused nor overwritten.</summary>
    Conflict,

    /// <summary>
    /// No run here, but the caller reads only records and this project committed this very run (<see cref="ReferenceRuns.Match"/>):
    /// load that record (<see cref="RunDecision.From"/>), train nothing.
    /// </summary>
    UseCommitted,
}

/// <summary>The decision for one run folder, with the record it rests on and, for retrains and conflicts, why.</summary>
/// <param name="Action">What to do with the run.</param>
/// <param name="Record">The record the decision rests on (the folder's, or the committed one); null when there is none.</param>
/// <param name="Reason">Why, for retrains and conflicts.</param>
/// <param name="From">For <see cref="RunAction.UseCommitted"/>: the committed record's folder.</param>
public sealed record RunDecision(RunAction Action, RunRecord? Record, string? Reason, string? From = null);

/// <summary>A run folder, its record and metrics, and whether this call trained, resumed or reused it.</summary>
public sealed record RunResult(string Folder, RunRecord Record, IReadOnlyList<MetricsRow> Metrics, RunOutcome Outcome)
{
    /// <summary>metrics.csv as a DataFrame (iteration, lr, train/test loss and error, images/s, elapsed).</summary>
    public DataFrame MetricsFrame => Runs.ToDataFrame(Metrics);
    /// <summary>The run's checkpoint.bin (weights, momentum and state of the last checkpoint).</summary>
    public string CheckpointPath => Path.Combine(Folder, Runs.CheckpointFile);
    /// <summary>The folder as the owner of its files (record, metrics, checkpoint, TensorBoard log).</summary>
    public RunFolder RunFolder => new(Folder);
}

/// <summary>
/// The one entry point notebooks, reports and the CLI use to get a trained model: reuse a finished run with the same
/// config, resume an unfinished one from its last checkpoint, or train from scratch. The path of a run:
/// config → <see cref="ModelSpec"/> → <see cref="TrainingSession"/> (the run builder) → <see cref="Trainer"/> →
/// <see cref="RunFolder"/> (record, metrics, checkpoint) → analysis and charts.
/// </summary>
public static class Experiment
{
    /// <summary>The network a run trains: its spec, shortcut and the dataset's class count.</summary>
    public static ResNetModel CreateModel(RunConfig config) =>
        ModelZoo.Create(config.Model, new ModelOptions(config.Shortcut, config.Format.Classes, config.ZeroInitResidual));

    /// <summary>
    /// The config with the model's default shortcut made explicit (from its spec), so `resnet20` and
    /// `resnet20` with shortcut A are one run; validates the model and dataset names before any work. A name the
    /// registry does not know passes only with <paramref name="customModel"/> (a test's own module via
    /// <see cref="ExperimentOptions.ModelFactory"/>), unchanged.
    /// </summary>
    public static RunConfig Resolve(RunConfig config, bool customModel = false)
    {
        _ = config.Format;
        if (customModel && ModelZoo.TrySpec(config.Model) is null) return config;
        var spec = config.Spec;
        if (!spec.Residual && config.Shortcut is not null)
            throw new ArgumentException($"{spec.Name} is a plain network: it has no shortcuts, so no shortcut option applies");
        if (!spec.Residual && config.ZeroInitResidual)
            throw new ArgumentException($"{spec.Name} is a plain network: zero-init needs residual branches (a plain block has no shortcut to carry the signal)");
        return config with { Shortcut = config.Shortcut ?? spec.DefaultShortcut };
    }

    /// <summary>
    /// A run of a module the caller defines (a notebook's own net): <paramref name="name"/> (not a registry name) is its
    /// model, the structure of the module <paramref name="model"/> builds (<see cref="ModuleStructure.Hash"/>) is part of
    /// its identity, the rest comes from <paramref name="like"/> (budget, seed, data). Train it with <see cref="RunOrLoad"/>
    /// and <see cref="ExperimentOptions.ModelFactory"/> = the same factory.
    /// </summary>
    public static RunConfig OwnModel(string name, Func<nn.Module<Tensor, Tensor>> model, RunConfig like)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (ModelZoo.TrySpec(name) is { } spec)
            throw new ArgumentException($"{name} is the library's {spec.Name}: give your own module another name (e.g. my-{name.ToLowerInvariant()})");
        if (like.Shortcut is not null || like.ZeroInitResidual)
            throw new ArgumentException("a shortcut option or zero-init is the library's way to build its nets; your module builds its own");
        using var probe = model();
        return like with { Model = name, Structure = ModuleStructure.Hash(probe) };
    }

    /// <summary>
    /// What <see cref="RunOrLoad"/> will do with <paramref name="folder"/> for <paramref name="config"/> — the one rule the
    /// trainer, the reports planner and sweeps share: another config's run is a conflict; forced, or finished without the
    /// snapshots the caller reads, it is retrained; finished, reused; begun with a checkpoint, resumed; absent, but
    /// committed under <paramref name="projectRecords"/> for a caller that reads only records, that record; else trained.
    /// </summary>
    public static RunDecision Decide(RunConfig config, string folder, bool force = false, bool requireSnapshots = false, string? projectRecords = null)
    {
        // Forced, the folder is not even read: a forced retrain replaces a damaged record too.
        if (force) return new(RunAction.Retrain, null, "forced");
        var record = Runs.TryLoad(folder);
        if (record is not null && record.ConfigHash != config.Hash)
            return new(RunAction.Conflict, record, $"{folder} holds a run with a different config (hash {record.ConfigHash}, this one {config.Hash}); " +
                                                   "delete that folder or force a retrain to replace it, or give this run another name");
        if (requireSnapshots && Snapshots.MissingFrom(record, folder)) return new(RunAction.Retrain, record, Snapshots.MissingReason);
        if (record is { Status: RunStatus.Finished }) return new(RunAction.Reuse, record, null);
        if (record is { Iteration: > 0 } && File.Exists(Path.Combine(folder, Runs.CheckpointFile))) return new(RunAction.Resume, record, null);
        if (record is null && projectRecords is not null && ReferenceRuns.Match(config, projectRecords) is { } committed)
            return new(RunAction.UseCommitted, committed.Record, null, committed.Folder);
        return new(RunAction.Train, record, null);
    }

    /// <summary>The trained run for <paramref name="config"/>: reused when finished, resumed from its checkpoint when interrupted, else trained.</summary>
    /// <param name="config">What to train; its default shortcut is made explicit first (<see cref="Resolve"/>).</param>
    /// <param name="options">Where and how (runs folder, data, device, threads); nothing here changes the numbers.</param>
    /// <param name="progress">Steps, evaluations and checkpoints as they happen (CLI progress bar, notebook live chart).</param>
    /// <param name="cancellation">Stops after the current step with a checkpoint saved; the call then throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>The run folder, its record and metrics, and whether it was trained, resumed, reused or stopped.</returns>
    public static RunResult RunOrLoad(RunConfig config, ExperimentOptions? options = null,
                                      IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        options ??= new ExperimentOptions();
        TorchRuntime.Initialize(options.Device, options.Threads);
        config = Resolve(config, customModel: options.ModelFactory is not null);
        var folder = RunFolder.For(config, options.RunsDir);
        var decision = Decide(config, folder.Path, options.Force, options.RequireSnapshots, options.ProjectRecords);
        if (decision.Action == RunAction.Conflict) throw new InvalidOperationException(decision.Reason);
        if (decision.Action == RunAction.Reuse) return new RunResult(folder.Path, decision.Record!, folder.ReadMetrics(), RunOutcome.Reused);
        if (decision.Action == RunAction.UseCommitted) return new RunResult(decision.From!, decision.Record!, Runs.ReadMetrics(decision.From!), RunOutcome.Reused);

        using var exclusive = folder.Lock();
        var existing = decision.Record;
        if (decision.Action == RunAction.Retrain)
        {
            folder.Clear();
            existing = null;
        }
        using var session = TrainingSession.Open(config, folder, options, existing);
        var (stop, record) = session.Run(progress, cancellation, options.StopAfter);
        return stop switch
        {
            TrainerStop.Cancelled => throw new OperationCanceledException(
                $"{config.RunName} interrupted at iteration {record.Iteration:N0}; checkpoint saved, run again to resume", cancellation),
            TrainerStop.StoppedAt => new RunResult(folder.Path, record, [.. session.Trainer.Metrics], RunOutcome.Stopped),
            _ => new RunResult(folder.Path, record, [.. session.Trainer.Metrics], session.Resumed is null ? RunOutcome.Trained : RunOutcome.Resumed),
        };
    }
}
