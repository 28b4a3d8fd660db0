using System.Diagnostics;
using ResNetLab.Data;
using ResNetLab.Models;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ResNetLab.Training;

/// <summary>How a <see cref="Trainer.Run"/> call ended.</summary>
public enum TrainerStop
{
    /// <summary>The schedule's last iteration was trained.</summary>
    Finished,

    /// <summary>The cancellation token fired; a checkpoint was saved first.</summary>
    Cancelled,

    /// <summary>The stop-after iteration was reached (no final checkpoint, as a kill would leave it).</summary>
    StoppedAt,
}

/// <summary>
/// Where a trainer's results go. The trainer computes and never writes a file; its owner (the ResNetLab library's TrainingSession)
/// persists through the run folder. <see cref="Checkpoint"/> must have made the state durable when it returns.
/// </summary>
public sealed record TrainerCallbacks
{
    /// <summary>After each evaluation, with every metrics row so far.</summary>
    public Action<IReadOnlyList<MetricsRow>>? Evaluated { get; init; }

    /// <summary>At each checkpoint: save this state with the model's weights and the optimizer's momentum.</summary>
    public Action<CheckpointState>? Checkpoint { get; init; }

    /// <summary>
    /// After each iteration in <see cref="SnapshotIterations"/> (0: before the first step), with the iteration: keep the
    /// weights as they are now (the run store keeps them as snapshots). Called again for the same iteration after a resume.
    /// </summary>
    public Action<int>? Snapshot { get; init; }

    /// <summary>The iterations at which <see cref="Snapshot"/> is called.</summary>
    public IReadOnlySet<int> SnapshotIterations { get; init; } = new HashSet<int>();
}

/// <summary>
/// The training loop of §4.2 on one model: batch t from the loader, cross-entropy, backward, momentum SGD at the
/// schedule's rate; every EvalEvery iterations a metrics row (train loss/error on the batches seen, test loss/error),
/// every CheckpointEvery a checkpoint (handed to <see cref="TrainerCallbacks"/>). One dispose scope per step keeps memory flat.
/// </summary>
public sealed class Trainer
{
    readonly nn.Module<Tensor, Tensor> model;
    readonly CifarLoader loader;
    readonly MomentumSgd optimizer;
    readonly MixedPrecision? precision;
    readonly LearningRateSchedule schedule;
    readonly RunConfig config;
    readonly string configHash;
    readonly Budget budget;
    readonly TrainingRecipe recipe;
    readonly TrainerCallbacks callbacks;
    readonly int evalBatchSize;
    IntervalTotals interval = IntervalTotals.Empty;
    double elapsedBefore;

    /// <summary>A trainer for <paramref name="model"/>; the loader's batch size must be the recipe's.</summary>
    /// <param name="model">The network to train (in train mode; evaluation switches and restores).</param>
    /// <param name="loader">Training batches; its batch size must be the recipe's.</param>
    /// <param name="optimizer">Momentum SGD over the model's parameters.</param>
    /// <param name="schedule">The learning rate per iteration, warm-up included.</param>
    /// <param name="config">The run: budget (evaluation and checkpoint points) and recipe.</param>
    /// <param name="evalBatchSize">Images per evaluation batch (memory only).</param>
    /// <param name="callbacks">Where metrics and checkpoints go; none: results stay in memory.</param>
    /// <param name="precision">The bf16 working copy of the optimizer's weights for a bf16 model; none: float32, or a
    /// bf16 model casting per pass.</param>
    public Trainer(nn.Module<Tensor, Tensor> model, CifarLoader loader, MomentumSgd optimizer, LearningRateSchedule schedule,
                   RunConfig config, int evalBatchSize = 500, TrainerCallbacks? callbacks = null, MixedPrecision? precision = null)
    {
        (this.model, this.loader, this.optimizer, this.schedule, this.config, this.evalBatchSize, this.precision) =
            (model, loader, optimizer, schedule, config, evalBatchSize, precision);
        this.callbacks = callbacks ?? new TrainerCallbacks();
        configHash = config.Hash;
        budget = config.Budget;
        recipe = config.ResolvedRecipe;
        if (loader.BatchSize != recipe.BatchSize) throw new ArgumentException($"loader batch {loader.BatchSize} ≠ recipe batch {recipe.BatchSize}");
    }

    /// <summary>Iterations completed.</summary>
    public int Iteration { get; private set; }
    /// <summary>Every metrics row so far, restored rows included.</summary>
    public List<MetricsRow> Metrics { get; } = [];
    /// <summary>Training and evaluation seconds over all sessions of the run.</summary>
    public double ElapsedSeconds => elapsedBefore + session.Elapsed.TotalSeconds;
    /// <summary>Iteration of the last checkpoint handed out; null before the first.</summary>
    public int? LastCheckpoint { get; private set; }

    readonly Stopwatch session = new();
    readonly Pace pace = new();
    int sessionStart;

    /// <summary>Continue from a checkpoint's state (weights and momentum are loaded by the run store's checkpoint reader).</summary>
    public void Restore(CheckpointState state)
    {
        Iteration = state.Iteration;
        interval = state.Interval;
        Metrics.Clear();
        Metrics.AddRange(state.Metrics);
        elapsedBefore = state.ElapsedSeconds;
        LastCheckpoint = state.Iteration;
        GeneratorState.Restore(state.CpuRngState);
    }

    /// <summary>
    /// Train until the budget's last iteration, <paramref name="cancellation"/> (a checkpoint is written first) or
    /// <paramref name="stopAt"/> iterations (no checkpoint: what a kill leaves behind). Throws
    /// <see cref="TrainingDivergedException"/> on a non-finite loss, keeping the last good checkpoint.
    /// </summary>
    public TrainerStop Run(IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default, int? stopAt = null)
    {
        session.Restart();
        sessionStart = Iteration;
        var window = Stopwatch.StartNew();
        long windowImages = 0;
        double imagesPerSecond = 0;
        model.train();
        if (Iteration == 0) TakeSnapshot();
        // one step's time runs from the end of the last step or evaluation to the end of this step, so the report and
        // any checkpoint after a step count in the next one: the pace covers all of the wall time but evaluations
        var stepWatch = Stopwatch.StartNew();
        while (Iteration < recipe.Iterations)
        {
            if (stopAt is { } s && Iteration >= s) return Stop(TrainerStop.StoppedAt);
            if (cancellation.IsCancellationRequested)
            {
                SaveCheckpoint(progress);
                return Stop(TrainerStop.Cancelled);
            }
            var t = Iteration;
            var lr = schedule.RateAt(t);
            var warming = schedule.WarmingUp;
            var (loss, errors, images) = Step(t, lr);
            if (!double.IsFinite(loss)) Diverged($"the training loss became {loss} at iteration {t + 1:N0} (lr {lr})");
            interval = interval.Add(loss, errors, images);
            schedule.Observe(t, (double)errors / images);
            Iteration = t + 1;

            var stepSeconds = stepWatch.Elapsed.TotalSeconds;
            if (pace.IsPause(stepSeconds))
            {
                // a pause (SIGSTOP, a suspended laptop) is not this run's speed: the rate starts over after it
                window.Restart();
                windowImages = 0;
            }
            else windowImages += images;
            if (window.Elapsed.TotalSeconds >= 2 || Iteration == sessionStart + 1)
            {
                imagesPerSecond = windowImages / window.Elapsed.TotalSeconds;
                window.Restart();
                windowImages = 0;
            }
            var last = Iteration == recipe.Iterations;
            TakeSnapshot();
            pace.Step(stepSeconds);
            stepWatch.Restart();
            if (Iteration % budget.EvalEvery == 0 || last)
            {
                Evaluate(lr, imagesPerSecond, progress);
                pace.Evaluation(stepWatch.Elapsed.TotalSeconds);
                stepWatch.Restart();
            }
            else Report(progress, ProgressKind.Step, lr, warming, imagesPerSecond);
            if (Iteration % budget.CheckpointEvery == 0 || last) SaveCheckpoint(progress);
        }
        Report(progress, ProgressKind.Finished, schedule.RateAt(Iteration - 1), false, imagesPerSecond);
        return Stop(TrainerStop.Finished);
    }

    void TakeSnapshot()
    {
        if (callbacks.Snapshot is { } snapshot && callbacks.SnapshotIterations.Contains(Iteration)) snapshot(Iteration);
    }

    TrainerStop Stop(TrainerStop how)
    {
        elapsedBefore += session.Elapsed.TotalSeconds;
        session.Reset();
        return how;
    }

    (double Loss, long Errors, long Images) Step(int iteration, double lr)
    {
        using var scope = NewDisposeScope();
        var (x, y) = loader.TrainBatch(iteration);
        return Step(model, optimizer, x, y, lr, precision);
    }

    /// <summary>
    /// One SGD step on a batch: forward, cross-entropy, backward, update. Returns the batch loss and top-1 errors; a
    /// non-finite loss returns before any update. A bf16 model computes with <paramref name="precision"/>'s working copy
    /// of the weights, cast once here. Shared with <c>resnet bench</c>, which times exactly this.
    /// </summary>
    public static (double Loss, long Errors, long Images) Step(nn.Module<Tensor, Tensor> model, MomentumSgd optimizer, Tensor x, Tensor y, double lr,
                                                               MixedPrecision? precision = null)
    {
        try
        {
            using var scope = NewDisposeScope();
            var working = model is ResNetModel { Precision: Precision.Bf16 } ? precision : null;
            Tensor logits;
            using (working?.Begin()) logits = model.call(ResNetModel.InTrainingLayout(model, x));
            var loss = F.cross_entropy(logits, y);
            var value = loss.item<float>();
            if (!float.IsFinite(value)) return (value, 0, y.shape[0]);
            optimizer.ZeroGrad();
            loss.backward();
            working?.ReturnGradients();
            optimizer.Step(lr);
            var errors = logits.argmax(1).ne(y).sum().item<long>();
            return (value, errors, y.shape[0]);
        }
        finally
        {
            ReleaseFinalizableNatives();
        }
    }

    /// <summary>
    /// TorchSharp frees some native objects only in finalizers — Scalars made from plain numbers, e.g. each BatchNorm's
    /// num_batches_tracked.add_(1). Left to the GC they pile up between the activations of later steps and fragment
    /// the native heap (RSS grew ~3 MB per ResNet-20 step, without bound); a gen-0 collection per step frees them
    /// at once and costs well under a millisecond.
    /// </summary>
    public static void ReleaseFinalizableNatives()
    {
        GC.Collect(0, GCCollectionMode.Forced, blocking: true);
        GC.WaitForPendingFinalizers();
    }

    void Evaluate(double lr, double imagesPerSecond, IProgress<TrainingProgress>? progress)
    {
        var result = Evaluation.Evaluate(model, loader.EvalBatches(evalBatchSize));
        if (!double.IsFinite(result.Loss)) Diverged($"the {EvalName} loss became {result.Loss} at iteration {Iteration:N0}");
        Metrics.Add(new MetricsRow(Iteration, lr, interval.MeanLoss, interval.ErrorRate, result.Loss, result.Error,
                                   imagesPerSecond, ElapsedSeconds));
        interval = IntervalTotals.Empty;
        model.train();
        callbacks.Evaluated?.Invoke(Metrics);
        Report(progress, ProgressKind.Evaluation, lr, schedule.WarmingUp, imagesPerSecond);
    }

    /// <summary>Evaluations still to come after iteration <paramref name="iteration"/>: every EvalEvery, and at the last.</summary>
    int EvaluationsAfter(int iteration)
    {
        var every = Math.Max(1, budget.EvalEvery);
        var total = recipe.Iterations;
        return iteration >= total ? 0 : total / every - iteration / every + (total % every != 0 ? 1 : 0);
    }

    string EvalName => config.Split == DataSplit.Validation ? "validation" : "test";

    void SaveCheckpoint(IProgress<TrainingProgress>? progress)
    {
        if (LastCheckpoint == Iteration) return;
        using (var _ = no_grad())
            foreach (var (name, p) in model.named_parameters())
                if (!p.isfinite().all().item<bool>()) Diverged($"parameter {name} is no longer finite at iteration {Iteration:N0}");
        var state = new CheckpointState
        {
            Config = config, ConfigHash = configHash, Iteration = Iteration, Warmup = schedule.State, Interval = interval,
            Metrics = [.. Metrics], ElapsedSeconds = ElapsedSeconds, Normalization = loader.Normalization,
            CpuRngState = GeneratorState.Capture(),
        };
        callbacks.Checkpoint?.Invoke(state);
        LastCheckpoint = Iteration;
        progress?.Report(Progress(ProgressKind.Checkpoint, schedule.RateAt(Math.Max(0, Iteration - 1)), schedule.WarmingUp, Metrics.LastOrDefault()?.ImagesPerSecond ?? 0));
    }

    void Diverged(string what) =>
        throw new TrainingDivergedException($"training diverged: {what}. The run is stopped; " +
            (LastCheckpoint is { } c ? $"the last good checkpoint (iteration {c:N0}) is kept in the run folder" : "no checkpoint had been written yet") +
            ". Try a lower learning rate or the warm-up.");

    void Report(IProgress<TrainingProgress>? progress, ProgressKind kind, double lr, bool warming, double imagesPerSecond) =>
        progress?.Report(Progress(kind, lr, warming, imagesPerSecond));

    TrainingProgress Progress(ProgressKind kind, double lr, bool warming, double imagesPerSecond)
    {
        var lastEval = Metrics.LastOrDefault();
        TimeSpan? remaining = session.IsRunning ? pace.Remaining(recipe.Iterations - Iteration, EvaluationsAfter(Iteration)) : null;
        var (trainLoss, trainError) = interval.Batches > 0 ? (interval.MeanLoss, interval.ErrorRate)
            : lastEval is not null ? (lastEval.TrainLoss, lastEval.TrainError) : (double.NaN, double.NaN);
        return new TrainingProgress(config.RunName, kind, Iteration, recipe.Iterations, lr, warming, trainLoss, trainError,
            lastEval?.TestLoss, lastEval?.TestError, imagesPerSecond, TimeSpan.FromSeconds(ElapsedSeconds), remaining);
    }
}
