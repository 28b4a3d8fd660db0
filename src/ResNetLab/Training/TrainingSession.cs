using ResNetLab.Data;
using ResNetLab.Models;
using ResNetLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNetLab.Training;

/// <summary>
/// Everything one training session of a run needs, built from its config (the run builder): the data and its split,
/// the model from its spec, momentum SGD, the deterministic loader, the schedule with the paper's warm-up rule, and the
/// trainer — resumed from the folder's checkpoint when there is one. The trainer computes; this session persists its
/// results through the <see cref="RunFolder"/> (metrics at each evaluation; weights and the record at each checkpoint).
/// </summary>
public sealed class TrainingSession : IDisposable
{
    readonly RunFolder folder;
    readonly RunRecord? previous;
    readonly nn.Module<Tensor, Tensor> model;
    readonly MomentumSgd optimizer;
    readonly MixedPrecision? precision;
    readonly CifarLoader loader;
    readonly (DataSourceKind Source, string Directory) data;
    readonly (string Description, string EvalName, int EvalCount) split;
    readonly Device device;

    TrainingSession(RunConfig config, RunFolder folder, ExperimentOptions options, RunRecord? previous)
    {
        (Config, this.folder, this.previous) = (config, folder, previous);
        device = TorchRuntime.Device;
        var budget = config.Budget;
        var recipe = config.ResolvedRecipe;
        var all = CifarData.Load(DataLocation.Resolve(options.DataDir, config.Format, out _), config.Format);
        var chosen = CifarSplit.Make(all, config.Split, config.Seed, budget.TrainImages, budget.EvalImages);
        (data, split) = ((all.Source, all.Directory), (chosen.Description, chosen.EvalName, chosen.EvalCount));

        TorchRuntime.Seed(config.Seed);   // the initial weights are a function of the seed
        model = (options.ModelFactory ?? Experiment.CreateModel)(config);
        model.to(device);
        if (model is ResNetModel resnet) resnet.Precision = config.Precision;
        else if (config.Precision != Precision.Fp32) throw new ArgumentException($"precision {config.Precision} needs a ResNetModel, not {model.GetType().Name}");
        Warmup = WarmupRule.Of(config.Warmup, model is ResNetModel net ? net.Depth : 0, recipe);
        optimizer = new MomentumSgd(model.named_parameters().Select(p => (p.name, p.parameter)), recipe.Momentum, recipe.WeightDecay);
        precision = config.Precision == Precision.Bf16 ? new MixedPrecision(optimizer.Parameters) : null;

        if (folder.ReadCheckpointState() is { } state && state.ConfigHash != config.Hash)
            throw new InvalidOperationException($"{folder.CheckpointPath} belongs to a different config (hash {state.ConfigHash}, this one {config.Hash}); delete the folder or force a retrain to start over");
        Resumed = folder.HasCheckpoint ? folder.LoadCheckpoint(model, optimizer) : null;
        var normalization = Resumed?.Normalization ?? Normalization.For(config.Normalization, chosen.TrainImages);
        loader = new CifarLoader(chosen, normalization, recipe.BatchSize, config.Seed, config.Augment, device);
        // The whole dataset and the split's arrays (~180 MB of CIFAR-10 each at full size) now live on in the loader's
        // tensors only: collected here, once, so the process does not carry them through the run (issue 25, item 6).
        (all, chosen) = (null!, null!);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        Schedule = new LearningRateSchedule(recipe, Warmup, Resumed?.Warmup);
        Trainer = new Trainer(model, loader, optimizer, Schedule, config, options.EvalBatchSize, new TrainerCallbacks
        {
            Evaluated = rows =>
            {
                var rss = ProcessMemory.Rss().Current / 1024.0;
                (rssFirstEval, rssLastEval) = (rssFirstEval ?? rss, rss);
                folder.WriteMetrics(rows);
                folder.AppendTensorBoard(rows[^1], WarmingUpAt(rows[^1].Iteration), split.EvalName);
            },
            Checkpoint = state =>
            {
                folder.SaveCheckpoint(state, model, optimizer);
                folder.SaveRecord(Record(RunStatus.Running));
            },
            Snapshot = iteration => folder.SaveSnapshot(iteration, model),
            SnapshotIterations = Snapshots.Iterations(recipe).ToHashSet(),
        }, precision);
        if (Resumed is not null) Trainer.Restore(Resumed);
    }

    /// <summary>Build the session for <paramref name="config"/> in <paramref name="folder"/> (whose lock the caller holds).</summary>
    public static TrainingSession Open(RunConfig config, RunFolder folder, ExperimentOptions options, RunRecord? previous) =>
        new(config, folder, options, previous);

    /// <summary>The run's config, resolved (shortcut explicit).</summary>
    public RunConfig Config { get; }
    /// <summary>The training loop of this session.</summary>
    public Trainer Trainer { get; }
    /// <summary>The learning-rate schedule, warm-up included.</summary>
    public LearningRateSchedule Schedule { get; }
    /// <summary>The warm-up rule of the run; null without one.</summary>
    public WarmupRule? Warmup { get; }

    /// <summary>The checkpoint this session continues from; null when it starts from scratch.</summary>
    public CheckpointState? Resumed { get; }

    /// <summary>Train to the end of the budget (or a stop), keeping the record current; returns how it ended and the record.</summary>
    public (TrainerStop Stop, RunRecord Record) Run(IProgress<TrainingProgress>? progress, CancellationToken cancellation, int? stopAfter)
    {
        try { return Train(progress, cancellation, stopAfter); }
        catch (DiskWriteException e)
        {
            // Every file is replaced atomically: the failed write left its old version (and no temporary file) behind.
            throw e.WithAdvice((Trainer.LastCheckpoint is { } c ? $"the last checkpoint (iteration {c:N0}) is intact" : "no checkpoint had been written yet") +
                               $"; free space (or copy {folder.Path} to a larger disk and use that as the runs folder) and run the same training again to resume");
        }
    }

    (TrainerStop Stop, RunRecord Record) Train(IProgress<TrainingProgress>? progress, CancellationToken cancellation, int? stopAfter)
    {
        folder.SaveRecord(Record(RunStatus.Running));
        if (Trainer.Metrics.Count > 0) folder.WriteMetrics(Trainer.Metrics);
        folder.StartTensorBoard(Trainer.Metrics.Select(m => (m, WarmingUpAt(m.Iteration))), split.EvalName);
        TrainerStop stop;
        try
        {
            stop = Trainer.Run(folder.ProgressWriter(progress), cancellation, stopAfter);
        }
        catch (TrainingDivergedException e)
        {
            TrySave(RunStatus.Diverged, e.Message);
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            TrySave(RunStatus.Failed, e.Message);
            throw;
        }
        return stop switch
        {
            TrainerStop.Cancelled => (stop, Save(RunStatus.Interrupted, $"interrupted at iteration {Trainer.Iteration:N0}; run again to resume from the checkpoint")),
            TrainerStop.StoppedAt => (stop, Save(RunStatus.Running, $"stopped after {Trainer.Iteration:N0} iterations without a final checkpoint (simulated kill)")),
            _ => (stop, Save(RunStatus.Finished)),
        };
    }

    /// <summary>Whether the warm-up rate was in force at an evaluation after <paramref name="iteration"/> iterations.</summary>
    bool WarmingUpAt(int iteration) => Warmup is not null && (Schedule.WarmupEndedAt is not { } end || iteration <= end);

    /// <summary>Record a failure when the disk still takes it; the failure itself is the error the caller sees.</summary>
    void TrySave(RunStatus status, string message)
    {
        try { Save(status, message); }
        catch (DiskWriteException) { }
    }

    RunRecord Save(RunStatus status, string? message = null)
    {
        var record = Record(status, message);
        if (Trainer.Metrics.Count > 0) folder.WriteMetrics(Trainer.Metrics);
        folder.SaveRecord(record);
        return record;
    }

    /// <summary>run.json as of now: what runs, on what, where, and how far it got.</summary>
    RunRecord Record(RunStatus status, string? message = null) => new()
    {
        Name = Config.RunName, Config = Config, ConfigHash = Config.Hash, Recipe = Config.ResolvedRecipe, Warmup = Warmup,
        WarmupEndedAt = Schedule.WarmupEndedAt,
        Dataset = Config.Format.DisplayName, DataSource = DataSource.Name(data.Source), DataLabel = DataSource.Label(data.Source, Config.Format),
        DataDirectory = data.Directory, Split = split.Description, EvalSet = split.EvalName, Seed = Config.Seed,
        Device = device.ToString(), Runtime = TorchRuntime.Info() with { Device = device.ToString() },
        Layout = model is ResNetModel net ? net.LayoutName(device.type) : null,
        Parameters = model.parameters().Sum(p => p.numel()),
        StartedUtc = previous?.StartedUtc ?? startedUtc, Status = status, Iteration = Trainer.Iteration,
        Sessions = (previous?.Sessions ?? 0) + 1, WallSeconds = Trainer.ElapsedSeconds, Message = message,
        EndedUtc = status == RunStatus.Running ? null : DateTime.UtcNow, PeakRssMb = ProcessMemory.Rss().Peak / 1024.0,
        RssFirstEvalMb = rssFirstEval, RssLastEvalMb = rssLastEval,
        Final = Trainer.Metrics.LastOrDefault() is { } m ? new FinalMetrics(m.TrainLoss, m.TrainError, m.TestLoss, m.TestError, split.EvalCount) : null,
    };

    readonly DateTime startedUtc = DateTime.UtcNow;
    double? rssFirstEval, rssLastEval;

    /// <summary>Frees the data loader, the bf16 working copy, the optimizer's buffers and the model (the record is already written).</summary>
    public void Dispose()
    {
        loader.Dispose();
        precision?.Dispose();
        optimizer.Dispose();
        model.Dispose();
    }
}
