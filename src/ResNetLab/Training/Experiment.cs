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

    /// <summary>Dataset folder or its parent; default --data/RESNET_DATA/data rules (<see cref="DataLocation"/>).</summary>
    public string? DataDir { get; init; }
    public DeviceChoice Device { get; init; } = DeviceChoice.Auto;
    public int? Threads { get; init; }

    /// <summary>Retrain even when a finished run with this config exists (its folder is replaced).</summary>
    public bool Force { get; init; }

    /// <summary>Stop after this many iterations without a final checkpoint — what a kill leaves behind (tests, demos).</summary>
    public int? StopAfter { get; init; }
    public int EvalBatchSize { get; init; } = 500;

    /// <summary>Builds the network for a config; default: the model registry (<see cref="Models.Models.Create(string, ShortcutOption?, int?, bool, bool)"/>).</summary>
    public Func<RunConfig, nn.Module<Tensor, Tensor>>? ModelFactory { get; init; }
}

public enum RunOutcome { Trained, Resumed, Reused, Stopped }

/// <summary>A run folder, its record and metrics, and whether this call trained, resumed or reused it.</summary>
public sealed record RunResult(string Folder, RunRecord Record, IReadOnlyList<MetricsRow> Metrics, RunOutcome Outcome)
{
    public DataFrame MetricsFrame => Runs.ToDataFrame(Metrics);
    public string CheckpointPath => Path.Combine(Folder, Runs.CheckpointFile);
}

/// <summary>
/// The one entry point notebooks, reports and the CLI use to get a trained model: reuse a finished run with the same
/// config, resume an unfinished one from its last checkpoint, or train from scratch.
/// </summary>
public static class Experiment
{
    public static nn.Module<Tensor, Tensor> CreateModel(RunConfig config) =>
        Models.Models.Create(config.Model, config.Shortcut, config.Format.Classes);

    /// <summary>The warm-up a run gets: forced on or off by the config, else the paper's (§4.2) from 110 layers.</summary>
    public static WarmupRule? WarmupFor(bool? setting, int depth) =>
        setting ?? depth >= WarmupRule.PaperMinimumDepth ? WarmupRule.Paper : null;

    /// <summary>The config with the model's default shortcut made explicit, so `resnet20` and `resnet20 --shortcut A` are one run.</summary>
    public static RunConfig Resolve(RunConfig config, Func<RunConfig, nn.Module<Tensor, Tensor>>? factory = null)
    {
        _ = TorchRuntime.Device;   // brings torch up (CPU) unless already up; keeps a chosen device
        _ = config.Format;   // validate the dataset name before any work
        if (config.Shortcut is not null) return config;
        if (factory is null) return config with { Shortcut = Models.Models.DefaultShortcut(config.Model) };
        using var model = factory(config);
        return model is ResNetModel { Shortcut: { } s } ? config with { Shortcut = s } : config;
    }

    public static RunResult RunOrLoad(RunConfig config, ExperimentOptions? options = null,
                                      IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        options ??= new ExperimentOptions();
        var runtime = TorchRuntime.Initialize(options.Device, options.Threads);
        var factory = options.ModelFactory ?? CreateModel;
        config = Resolve(config, factory);
        var folder = Runs.Folder(config.RunName, options.RunsDir);
        var hash = config.Hash;
        var checkpointPath = Path.Combine(folder, Runs.CheckpointFile);

        var existing = Runs.TryLoad(folder);
        if (existing is not null && !options.Force)
        {
            if (existing.ConfigHash != hash)
                throw new InvalidOperationException($"{folder} holds a run with a different config (hash {existing.ConfigHash}, this one {hash}); " +
                                                    "use --force to replace it, or give this run another name");
            if (existing.Status == RunStatus.Finished)
                return new RunResult(folder, existing, Runs.ReadMetrics(folder), RunOutcome.Reused);
        }
        using var exclusive = RunLock.Acquire(folder);
        if (options.Force)
        {
            foreach (var file in Directory.EnumerateFiles(folder).Where(f => Path.GetFileName(f) != RunLock.FileName)) File.Delete(file);
            existing = null;
        }

        var format = config.Format;
        var budget = config.Budget;
        var recipe = config.ResolvedRecipe;
        var data = CifarData.Load(DataLocation.Resolve(options.DataDir, format, out _), format);
        var split = CifarSplit.Make(data, config.Split, config.Seed, budget.TrainImages, budget.EvalImages);

        TorchRuntime.Seed(config.Seed);
        using var model = factory(config);
        var device = TorchRuntime.Device;
        model.to(device);
        var depth = model is ResNetModel r ? r.Depth : 0;
        var warmup = WarmupFor(config.Warmup, depth);
        using var optimizer = new MomentumSgd(model.named_parameters().Select(p => (p.name, p.parameter)), recipe.Momentum, recipe.WeightDecay);

        CheckpointState? resumed = null;
        if (File.Exists(checkpointPath))
        {
            var state = Checkpoint.ReadState(checkpointPath);
            if (state.ConfigHash != hash)
                throw new InvalidOperationException($"{checkpointPath} belongs to a different config (hash {state.ConfigHash}, this one {hash}); use --force to start over");
            resumed = Checkpoint.Load(checkpointPath, model, optimizer);
        }
        var normalization = resumed?.Normalization ?? Normalization.For(config.Normalization, split.TrainImages);
        using var loader = new CifarLoader(split, normalization, recipe.BatchSize, config.Seed, config.Augment, device);
        var schedule = new LearningRateSchedule(recipe, warmup, resumed?.Warmup);
        var trainer = new Trainer(model, loader, optimizer, schedule, config, checkpointPath, options.EvalBatchSize);
        if (resumed is not null) trainer.Restore(resumed);

        var record = new RunRecord
        {
            Name = config.RunName, Config = config, ConfigHash = hash, Recipe = recipe, Warmup = warmup,
            WarmupEndedAt = schedule.WarmupEndedAt,
            Dataset = format.DisplayName, DataSource = DataSource.Name(data.Source), DataLabel = DataSource.Label(data.Source, format),
            DataDirectory = data.Directory, Split = split.Description, EvalSet = split.EvalName, Seed = config.Seed,
            Device = device.ToString(), Runtime = runtime with { Device = device.ToString() },
            Layout = model is ResNetModel net ? Bench.LayoutName(net.UsesChannelsLast(device.type)) : null,
            Parameters = model.parameters().Sum(p => p.numel()),
            StartedUtc = existing?.StartedUtc ?? DateTime.UtcNow, Status = RunStatus.Running, Iteration = trainer.Iteration,
            Sessions = (existing?.Sessions ?? 0) + 1, WallSeconds = trainer.ElapsedSeconds,
        };
        Runs.Save(folder, record);
        if (trainer.Metrics.Count > 0) Runs.WriteMetrics(folder, trainer.Metrics);

        RunRecord Update(RunStatus status, string? message = null)
        {
            record = record with
            {
                Status = status, Iteration = trainer.Iteration, WallSeconds = trainer.ElapsedSeconds, Message = message,
                WarmupEndedAt = schedule.WarmupEndedAt, Runtime = TorchRuntime.Info() with { Device = device.ToString() },
                EndedUtc = status == RunStatus.Running ? null : DateTime.UtcNow, PeakRssMb = Bench.Rss().Peak / 1024.0,
                Final = trainer.Metrics.LastOrDefault() is { } m ? new FinalMetrics(m.TrainLoss, m.TrainError, m.TestLoss, m.TestError, split.EvalCount) : null,
            };
            if (trainer.Metrics.Count > 0) Runs.WriteMetrics(folder, trainer.Metrics);
            Runs.Save(folder, record);
            return record;
        }

        var metricsWritten = trainer.Metrics.Count;
        var events = new Progress(progress, kind =>
        {
            if (kind == ProgressKind.Checkpoint) Update(RunStatus.Running);
            else if (trainer.Metrics.Count != metricsWritten) Runs.WriteMetrics(folder, trainer.Metrics);
            metricsWritten = trainer.Metrics.Count;
        });

        TrainerStop stop;
        try
        {
            stop = trainer.Run(events, cancellation, options.StopAfter);
        }
        catch (TrainingDivergedException e)
        {
            Update(RunStatus.Diverged, e.Message);
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Update(RunStatus.Failed, e.Message);
            throw;
        }
        switch (stop)
        {
            case TrainerStop.Cancelled:
                Update(RunStatus.Interrupted, $"interrupted at iteration {trainer.Iteration:N0}; run again to resume from the checkpoint");
                throw new OperationCanceledException($"{config.RunName} interrupted at iteration {trainer.Iteration:N0}; checkpoint saved, run again to resume", cancellation);
            case TrainerStop.StoppedAt:
                var stopped = Update(RunStatus.Running, $"stopped after {trainer.Iteration:N0} iterations without a final checkpoint (simulated kill)");
                return new RunResult(folder, stopped, [.. trainer.Metrics], RunOutcome.Stopped);
            default:
                var finished = Update(RunStatus.Finished);
                return new RunResult(folder, finished, [.. trainer.Metrics], resumed is null ? RunOutcome.Trained : RunOutcome.Resumed);
        }
    }

    /// <summary>Passes events on; keeps metrics.csv and run.json current at each evaluation and checkpoint.</summary>
    sealed class Progress(IProgress<TrainingProgress>? inner, Action<ProgressKind> onRecord) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.Kind is ProgressKind.Evaluation or ProgressKind.Checkpoint) onRecord(value.Kind);
            inner?.Report(value);
        }
    }
}
