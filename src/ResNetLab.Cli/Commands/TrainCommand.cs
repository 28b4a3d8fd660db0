using System.ComponentModel;
using System.Runtime.InteropServices;
using ResNetLab.Data;
using ResNetLab.Models;
using ResNetLab.Runtime;
using ResNetLab.Sweeps;
using ResNetLab.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ResNetLab.Cli.Commands;

/// <summary>
/// `resnet train`: train (or reuse, or resume) one run with a progress bar. Ctrl-C, SIGTERM or SIGUSR1 writes a checkpoint
/// and stops (exit 130); running the same command again resumes from it. A finished run with the same config is reused.
/// </summary>
public sealed class TrainCommand : Command<TrainCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--model <NAME>")]
        [Description("Registered network, e.g. resnet20, plain56 (see `resnet models`)")]
        public string? Model { get; init; }

        [CommandOption("--shortcut <OPTION>")]
        [Description("A, B or C for residual nets (default: A, §4.2)")]
        public string? Shortcut { get; init; }

        [CommandOption("--budget <BUDGET>")]
        [Description("smoke (CI, ~1 min), quick (minutes; the paper's schedule shape), depth (3,200 iterations, ResNets zero-init), full (64k iterations) or a number of iterations of the same shape (e.g. 3200); default: RESNET_BUDGET, else full with CUDA and quick on a CPU")]
        public string? Budget { get; init; }

        [CommandOption("--seed <N>")]
        [Description("Seed of the run: initial weights, data order and augmentation are functions of it (default 0)")]
        [DefaultValue(0L)]
        public long Seed { get; init; }

        [CommandOption("--dataset <NAME>")]
        [Description("cifar10 or cifar100")]
        [DefaultValue("cifar10")]
        public string Dataset { get; init; } = "cifar10";

        [CommandOption("--split <SPLIT>")]
        [Description("full (50k train / 10k test) or val (45k / 5k validation)")]
        [DefaultValue("full")]
        public string Split { get; init; } = "full";

        [CommandOption("--warmup <MODE>")]
        [Description("auto (paper: lr 0.01 until train error < 80% for ≥110 layers), on or off")]
        public string? Warmup { get; init; }

        [CommandOption("--precision <PRECISION>")]
        [Description("fp32 (default, the paper's arithmetic), bf16 (mixed precision: bfloat16 convolutions, float32 master weights; a different run) or auto (bf16 where the CPU has native BF16)")]
        public string? Precision { get; init; }

        [CommandOption("--zero-init")]
        [Description("Start every residual branch at zero (γ = 0 in its last BN; Goyal et al. 2017) — a departure from the paper, named in the run; residual nets only (the depth budget does it for every ResNet; --budget 3200 is the same schedule with the paper's init)")]
        public bool ZeroInit { get; init; }

        [CommandOption("--name <NAME>")]
        [Description("Run folder name (default: derived from the config)")]
        public string? Name { get; init; }

        [CommandOption("--data <DIR>")]
        [Description("Dataset folder or its parent (default: RESNET_DATA, then data/)")]
        public string? Data { get; init; }

        [CommandOption("--runs <DIR>")]
        [Description("Runs folder (default: RESNET_RUNS, then runs/)")]
        public string? Runs { get; init; }

        [CommandOption("--device <DEVICE>")]
        [Description("cpu, cuda or auto")]
        public string? Device { get; init; }

        [CommandOption("--threads <N>")]
        [Description("CPU threads for libtorch (default: all cores, or a fair share when other trainings run on this machine; numbers are reproducible for a fixed count)")]
        public int? Threads { get; init; }

        [CommandOption("--force")]
        [Description("Retrain even if a finished run with this config exists")]
        public bool Force { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        if (string.IsNullOrWhiteSpace(settings.Model)) throw new ArgumentException("--model is required, e.g. --model resnet20 (see `resnet models`)");
        var device = CliParse.Flag("--device", () => TorchRuntime.ParseDevice(settings.Device));
        var resolved = CliParse.Settings(new SettingsRequest(settings.Budget, settings.Precision, settings.Data, settings.Runs, settings.Threads, device));
        if (TorchRuntime.Sharing?.Note is { } note) AnsiConsole.MarkupLine($"[yellow]note:[/] {Markup.Escape(note)}");
        var config = new RunConfig
        {
            Model = settings.Model, Shortcut = CliParse.Shortcut(settings.Shortcut), Budget = resolved.Budget,
            Seed = settings.Seed, Dataset = CliParse.Flag("--dataset", () => CifarFormat.Parse(settings.Dataset)).Name, Split = CliParse.Flag("--split", () => CifarSplit.ParseSplit(settings.Split)),
            Warmup = CliParse.Warmup(settings.Warmup), Name = settings.Name,
            Precision = resolved.Precision,
        };
        if (settings.ZeroInit) config = config with { ZeroInitResidual = true };   // else the budget decides (depth: ResNets zero-init)
        var options = new ExperimentOptions
        {
            RunsDir = resolved.RunsDir, DataDir = resolved.DataDir, Device = device, Threads = settings.Threads, Force = settings.Force,
        };

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        ConsoleCancelEventHandler onCtrlC = (_, e) =>
        {
            if (cts.IsCancellationRequested) return;   // a second Ctrl-C kills
            e.Cancel = true;
            cts.Cancel();
        };
        Console.CancelKeyPress += onCtrlC;
        using var onSignals = StopSignals.Register(cts);   // SIGTERM, SIGUSR1 (Slurm)
        try
        {
            var result = AnsiConsole.Profile.Capabilities.Interactive
                ? RunWithBar(config, options, cts.Token)
                : Experiment.RunOrLoad(config, options, new LineProgress(), cts.Token);
            Summarise(result);
            return 0;
        }
        catch (OperationCanceledException e)
        {
            AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(e.Message)}[/]");
            return ExitCodes.Interrupted;
        }
        finally
        {
            Console.CancelKeyPress -= onCtrlC;
        }
    }

    static RunResult RunWithBar(RunConfig config, ExperimentOptions options, CancellationToken cancellation)
    {
        RunResult? result = null;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(config.Model), maxValue: 1);
                var progress = new Progress(e =>
                {
                    task.MaxValue = e.Iterations;
                    task.Value = e.Iteration;
                    task.Description = Markup.Escape(Describe(e));
                });
                result = Experiment.RunOrLoad(config, options, progress, cancellation);
                task.Value = task.MaxValue;
            });
        return result!;
    }

    static string Describe(TrainingProgress e) =>
        $"{e.Run} it {e.Iteration:N0}/{e.Iterations:N0} lr {e.LearningRate:G3}{(e.WarmingUp ? " (warm-up)" : "")} " +
        $"loss {e.TrainLoss:F3} err {e.TrainError:P1}" + (e.TestError is { } t ? $" test {t:P1}" : "") + $" {e.ImagesPerSecond:N0} img/s";

    /// <summary>Synchronous (System.Progress would post to the thread pool and reorder lines).</summary>
    sealed class Progress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    /// <summary>
    /// Non-interactive consoles (CI logs, Slurm job files, `nohup … &gt; log`): a line when training starts (or resumes),
    /// one per evaluation, and between evaluations one at least every <see cref="Every"/> — a 56-layer net on a laptop
    /// CPU evaluates every 10–20 minutes at long budgets, and a log silent that long looks hung.
    /// </summary>
    public sealed class LineProgress(TextWriter? output = null, TimeSpan? every = null, Func<DateTime>? clock = null) : IProgress<TrainingProgress>
    {
        /// <summary>The longest silence between two lines while training.</summary>
        public static TimeSpan DefaultEvery { get; } = TimeSpan.FromMinutes(1);

        public TimeSpan Every { get; } = every ?? DefaultEvery;

        readonly TextWriter output = output ?? Console.Out;
        readonly Func<DateTime> clock = clock ?? (() => DateTime.UtcNow);
        DateTime? lastLine;

        public void Report(TrainingProgress e)
        {
            var now = clock();
            switch (e.Kind)
            {
                case ProgressKind.Evaluation:
                    Write(Describe(e) + Eta(e), now);
                    break;
                case ProgressKind.Step when lastLine is null:
                    // the first step of this process: says training has begun, and from where when a checkpoint was resumed
                    Write($"{e.Run}: " + (e.Iteration > 1 ? $"resumed from its checkpoint at iteration {e.Iteration - 1:N0} of {e.Iterations:N0}"
                                                          : $"training started, {e.Iterations:N0} iterations") +
                          $" (lr {e.LearningRate:G3}{(e.WarmingUp ? ", warm-up" : "")})", now);
                    break;
                case ProgressKind.Step when now - lastLine >= Every:
                    // the training figures are running sums since the last evaluation (checkpointed), or since the start before the first
                    Write(Describe(e) + (e.TestError is null ? " (since the start)" : " (since the last evaluation)") + Eta(e), now);
                    break;
            }
        }

        static string Eta(TrainingProgress e) => e.Remaining is { } r ? $" eta {CliParse.Duration(r)}" : "";

        void Write(string line, DateTime now)
        {
            output.WriteLine(line);
            output.Flush();
            lastLine = now;
        }
    }

    static void Summarise(RunResult result)
    {
        var r = result.Record;
        var verb = result.Outcome switch
        {
            RunOutcome.Reused => "[green]reused[/] (finished run with the same config; --force retrains)",
            RunOutcome.Resumed => "[green]resumed and finished[/]",
            _ => "[green]finished[/]",
        };
        AnsiConsole.MarkupLine($"{Markup.Escape(r.Name)}: {verb}");
        var table = new Table().Border(TableBorder.Simple).HideHeaders().AddColumns("", "");
        table.AddRow("folder", Markup.Escape(result.Folder));
        table.AddRow("data", Markup.Escape($"{r.DataLabel}; {r.Split}"));
        table.AddRow("budget", Markup.Escape($"{r.Budget.Key}: {r.Recipe.Iterations:N0} iterations, lr {r.Recipe.LearningRate} ÷10 at {string.Join(", ", r.Recipe.Milestones)}"));
        if (r.Config.Departures.Count > 0) table.AddRow("departures", Markup.Escape(string.Join("; ", r.Config.Departures)));
        if (r.Final is { } f)
            table.AddRow($"{r.EvalSet} error", Markup.Escape($"{f.TestError:P2} on {f.EvalImages:N0} images (train error {f.TrainError:P2}, loss {f.TrainLoss:F3})"));
        table.AddRow("time", Markup.Escape($"{CliParse.Duration(TimeSpan.FromSeconds(r.WallSeconds))} over {r.Sessions} session(s); {r.Device}, {r.Runtime.Threads} threads"));
        if (result.Outcome != RunOutcome.Reused)
            table.AddRow("memory", Markup.Escape($"peak RSS {r.PeakRssMb:N0} MB" + (r.RssGrowthPercent is { } g
                ? $"; {r.RssFirstEvalMb:N0} MB after the first evaluation, {r.RssLastEvalMb:N0} MB after the last ({g:+0.0;-0.0} %)" : "")));
        AnsiConsole.Write(table);
    }
}
