using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using ResNetLab.Data;
using ResNetLab.Models;
using ResNetLab.Runtime;
using ResNetLab.Sweeps;
using ResNetLab.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ResNetLab.Cli.Commands;

/// <summary>Which runs a sweep (or its results) covers: the flags `sweep run|status|task` and `results` share.</summary>
public abstract class SweepSelectionSettings : CommandSettings, ISweepSelection
{
    [CommandOption("--plan <NAME>")]
    [Description("A notebook's experiment plan: degradation, shortcut-options, bottleneck, very-deep, layer-responses, lesions, gradient-flow, loss-landscape, preactivation")]
    public string? Plan { get; init; }

    [CommandOption("--models <LIST>")]
    [Description("Instead of a plan: comma-separated models, e.g. resnet20,resnet56 (default shortcut each)")]
    public string? Models { get; init; }

    [CommandOption("--budget <BUDGET>")]
    [Description("smoke, quick, depth, full or a number of iterations of the paper's shape, e.g. 3200 (default: RESNET_BUDGET, else quick)")]
    public string? Budget { get; init; }

    [CommandOption("--seeds <N>")]
    [Description("Every run for seeds 0..N-1 (default: the plan's own seeds; 0 for --models)")]
    public int? Seeds { get; init; }

    [CommandOption("--runs <DIR>")]
    [Description("Runs folder (default: RESNET_RUNS, then runs/); on a cluster, a shared filesystem")]
    public string? Runs { get; init; }

    [CommandOption("--precision <PRECISION>")]
    [Description("fp32 (default) or bf16: every run in bfloat16 mixed precision (its own run, named …-bf16-sN); auto: bf16 where the CPU has native BF16")]
    public string? Precision { get; init; }

    [CommandOption("--zero-init")]
    [Description("Residual runs start every branch at zero (γ = 0 in its last BN; a departure, named …-zeroinit-…); plain runs keep the paper's init")]
    public bool ZeroInit { get; init; }
}

/// <summary>The run selection of a sweep's flags.</summary>
public interface ISweepSelection
{
    /// <summary>--plan.</summary>
    string? Plan { get; }

    /// <summary>--models.</summary>
    string? Models { get; }

    /// <summary>--budget (null: RESNET_BUDGET, else quick).</summary>
    string? Budget { get; }

    /// <summary>--seeds.</summary>
    int? Seeds { get; }

    /// <summary>--runs.</summary>
    string? Runs { get; }

    /// <summary>--precision (null: fp32).</summary>
    string? Precision { get; }

    /// <summary>--zero-init.</summary>
    bool ZeroInit { get; }
}

static class SweepSelection
{
    /// <summary>
    /// The sweep's settings by the one rule (<see cref="RunSettings.Resolve"/>), resolved as on a CPU: a sweep's tasks run
    /// on the cluster's devices, not the submitting machine's, so its default budget must not depend on where
    /// `sweep`, `status` or `results` is typed (give --budget full for a GPU cluster).
    /// </summary>
    public static RunSettings Settings(this ISweepSelection s) =>
        CliParse.Settings(new SettingsRequest(s.Budget, s.Precision, Runs: s.Runs, Device: DeviceChoice.Cpu));

    public static SweepRequest Request(this ISweepSelection s)
    {
        var settings = s.Settings();
        return new(s.Plan, SweepRequest.ParseModels(s.Models), settings.Budget, s.Seeds)
        {
            Precision = settings.Precision,
            ZeroInitResidual = s.ZeroInit,
        };
    }

    public static string RunsDir(this ISweepSelection s) => s.Settings().RunsDir;
}

/// <summary>How to call this same `resnet` build from a child process or a batch script: dotnet + resnet.dll, absolute.</summary>
static class Self
{
    public static IReadOnlyList<string> Command()
    {
        var host = Environment.ProcessPath ?? "dotnet";
        var dll = Assembly.GetEntryAssembly()?.Location;
        return Path.GetFileNameWithoutExtension(host) == "dotnet" && !string.IsNullOrEmpty(dll) ? [host, dll] : [host];
    }
}

/// <summary>`resnet sweep`: train every missing run of a plan — here N at a time, or as one Slurm job array.</summary>
public sealed class SweepCommand : Command<SweepCommand.Settings>
{
    /// <summary>
    /// `resnet sweep --plan …` means `resnet sweep run --plan …`. (Spectre.Console.Cli 0.57 left a branch's default
    /// command's flags unbound, so the verb is inserted here.)
    /// </summary>
    public static string[] DefaultVerb(string[] args) =>
        args.Length >= 2 && args[0] == "sweep" && args[1].StartsWith("--", StringComparison.Ordinal) && args[1] is not ("--help")
            ? ["sweep", "run", .. args[1..]]
            : args;

    /// <summary>The flags of `sweep run`, `sweep status` and `sweep task` (one class: they share the run selection).</summary>
    public sealed class Settings : SweepSelectionSettings
    {
        [CommandOption("--json")]
        [Description("status: print JSON (keys total, finished, running, pending, failed, runs)")]
        public bool Json { get; init; }

        [CommandOption("--manifest <FILE>")]
        [Description("task: the sweep's manifest.json (written by `resnet sweep`)")]
        public string? Manifest { get; init; }

        [CommandOption("--index <I>")]
        [Description("task: which run of the manifest (Slurm: $SLURM_ARRAY_TASK_ID)")]
        public int? Index { get; init; }

        [CommandOption("--engine <ENGINE>")]
        [Description("local (this machine) or slurm (one job array, submitted with sbatch)")]
        [DefaultValue("local")]
        public string Engine { get; init; } = "local";

        [CommandOption("--jobs <N>")]
        [Description("local: runs at once (the threads are divided between them)")]
        [DefaultValue(1)]
        public int Jobs { get; init; } = 1;

        [CommandOption("--threads <N>")]
        [Description("local: threads in total (default: all cores, or a fair share beside trainings already running here); slurm: threads per run (default: --cpus)")]
        public int? Threads { get; init; }

        [CommandOption("--device <DEVICE>")]
        [Description("cpu, cuda or auto")]
        [DefaultValue("auto")]
        public string Device { get; init; } = "auto";

        [CommandOption("--data <DIR>")]
        [Description("Dataset folder or its parent (default: RESNET_DATA, then data/)")]
        public string? Data { get; init; }

        [CommandOption("--partition <NAME>")]
        [Description("slurm: partition to submit to (default: the cluster's)")]
        public string? Partition { get; init; }

        [CommandOption("--time <LIMIT>")]
        [Description("slurm: time limit per run, e.g. 12:00:00 (a run past it checkpoints and requeues)")]
        public string? Time { get; init; }

        [CommandOption("--cpus <N>")]
        [Description("slurm: CPUs per run (default: 4, or fewer when the partition's largest node has fewer)")]
        public int? Cpus { get; init; }

        [CommandOption("--mem <SIZE>")]
        [Description("slurm: memory per run, e.g. 8G")]
        public string? Mem { get; init; }

        [CommandOption("--gres <SPEC>")]
        [Description("slurm: generic resources per run, e.g. gpu:1 (with --device cuda)")]
        public string? Gres { get; init; }

        [CommandOption("--account <NAME>")]
        [Description("slurm: account to charge (default: your default account)")]
        public string? Account { get; init; }

        [CommandOption("--max-parallel <N>")]
        [Description("slurm: at most N array tasks at once")]
        public int? MaxParallel { get; init; }

        [CommandOption("--signal-seconds <S>")]
        [Description("slurm: SIGUSR1 this long before the time limit (checkpoint, requeue)")]
        [DefaultValue(120)]
        public int SignalSeconds { get; init; } = 120;

        [CommandOption("--dry-run")]
        [Description("slurm: print the job script; submit nothing")]
        public bool DryRun { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var engine = settings.Engine.Trim().ToLowerInvariant();
        if (engine is not ("local" or "slurm")) throw new ArgumentException($"--engine '{settings.Engine}' is not one of: local, slurm");
        if (settings.Jobs < 1) throw new ArgumentException($"--jobs {settings.Jobs} must be at least 1");
        if (settings.Cpus is < 1) throw new ArgumentException($"--cpus {settings.Cpus} must be at least 1");
        if (settings.Threads is < 1) throw new ArgumentException($"--threads {settings.Threads} must be at least 1");
        var device = TorchRuntime.ParseDevice(settings.Device);
        var request = settings.Request();
        var runs = request.Runs();
        var runsDir = settings.RunsDir();
        var data = DataLocation.Resolve(settings.Data, CifarFormat.Cifar10, out _);   // fails here, not in every task

        var status = SweepStatus.Of(request.Label, runs, runsDir, request.MeasuresSnapshots);
        // Runs already waiting in Slurm's queue are not submitted twice.
        var todo = status.Runs.Zip(runs).Where(p => p.First.State is RunState.Pending or RunState.Failed && p.First.Queued is null).Select(p => p.Second).ToList();
        // A dry run's stdout is the script alone (`… --dry-run > job.sbatch`); the summary goes to stderr.
        Action<string> say = engine == "slurm" && settings.DryRun ? Console.Error.WriteLine : line => AnsiConsole.MarkupLine(Markup.Escape(line));
        say($"sweep {request.Label}: {status.Total} runs — {status.Finished} finished (reused), {status.Running} running elsewhere, " +
            $"{todo.Count} to train; runs folder {runsDir}");
        foreach (var r in status.Runs.Where(r => r.State == RunState.Running)) say($"  skipping {r.Name}: running {r.Message}");
        foreach (var r in status.Runs.Where(r => r.Queued is not null)) say($"  skipping {r.Name}: {r.Message}");
        foreach (var r in status.Runs.Where(r => r.State == RunState.Pending && r.Message == Snapshots.MissingReason)) say($"  {r.Name}: {r.Message}");
        if (todo.Count == 0) { say("nothing to train"); return 0; }

        return engine == "local" ? Local(settings, request, todo, runsDir, data, cancellation) : Slurm(settings, request, todo, runsDir, data);
    }

    static int Local(Settings settings, SweepRequest request, IReadOnlyList<RunConfig> todo, string runsDir, string data, CancellationToken cancellation)
    {
        var jobs = Math.Min(settings.Jobs, todo.Count);
        var share = CoreShare.Decide();   // other trainings on this machine keep their cores
        var perRun = Math.Max(1, (settings.Threads ?? CoreShare.FairShare(share.Cores, share.Neighbours.Count)) / jobs);
        if (settings.Threads is null && share.Note is { } note) AnsiConsole.MarkupLine(Markup.Escape($"note: {note}"));
        var manifest = new SweepManifest { Label = request.Label, RunsDir = runsDir, DataDir = data, Device = settings.Device, Threads = perRun, Runs = todo,
                                        RequireSnapshots = request.MeasuresSnapshots };
        SlurmSweep.CheckWritable(runsDir);
        var path = manifest.Write();
        AnsiConsole.MarkupLine(Markup.Escape($"local: {todo.Count} runs, {jobs} at a time, {perRun} thread(s) each; manifest {path}"));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        ConsoleCancelEventHandler onCtrlC = (_, e) => { e.Cancel = true; cts.Cancel(); };
        Console.CancelKeyPress += onCtrlC;
        using var onSignals = StopSignals.Register(cts);
        try
        {
            var results = LocalSweep.Run(manifest, path, Self.Command(), jobs, line => AnsiConsole.MarkupLine(Markup.Escape(line)), cts.Token);
            var failed = results.Count(r => r.ExitCode != 0 && r.ExitCode != ExitCodes.Interrupted);
            var interrupted = results.Count(r => r.ExitCode == ExitCodes.Interrupted) + (todo.Count - results.Count);
            AnsiConsole.MarkupLine(Markup.Escape($"sweep {request.Label}: {results.Count(r => r.ExitCode == 0)} trained, {interrupted} interrupted, {failed} failed " +
                                                 "(details: resnet sweep status with the same arguments)"));
            return failed > 0 ? 1 : interrupted > 0 ? ExitCodes.Interrupted : 0;
        }
        finally { Console.CancelKeyPress -= onCtrlC; }
    }

    static int Slurm(Settings settings, SweepRequest request, IReadOnlyList<RunConfig> todo, string runsDir, string data)
    {
        // Checked against the cluster before anything is written: a task that no node can run would pend forever.
        var cluster = SlurmCluster.Query();
        if (cluster is null && !settings.DryRun)
            throw new InvalidOperationException("scontrol is not on PATH or cannot reach the cluster: run on a Slurm login node (or start the local one: environment/slurm.sh start), or use --dry-run");
        var cpus = settings.Cpus ?? cluster?.DefaultCpus(settings.Partition) ?? SlurmResources.DefaultCpus;
        var manifest = new SweepManifest
        {
            Label = request.Label, RunsDir = runsDir, DataDir = data, Device = settings.Device, Threads = settings.Threads ?? cpus, Runs = todo,
            RequireSnapshots = request.MeasuresSnapshots,
        };
        var manifestPath = Path.Combine(manifest.Folder, SweepManifest.FileName);
        var resources = new SlurmResources
        {
            Partition = settings.Partition, Time = settings.Time, Cpus = cpus, Mem = settings.Mem, Gres = settings.Gres,
            Account = settings.Account, MaxParallel = settings.MaxParallel, SignalSeconds = settings.SignalSeconds,
        };
        if (cluster?.Misfit(resources) is { } misfit)
            throw new ArgumentException($"refused: {misfit} — Slurm would keep the {todo.Count} task(s) pending forever. " +
                                        "Ask for less (--cpus, --mem, --gres, --time) or choose another --partition (sinfo lists them)");
        var environment = new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" };
        if (RepoPaths.TryRoot() is { } root) environment["RESNET_ROOT"] = root;
        var script = SlurmSweep.Script(manifest, manifestPath, Self.Command(), resources, environment);
        if (settings.DryRun)
        {
            Console.Write(script);
            return 0;
        }
        SlurmSweep.CheckWritable(runsDir);
        if (SlurmSweep.FileSystemOf(runsDir) is { } fs)
            AnsiConsole.MarkupLine(Markup.Escape($"runs folder {runsDir} is on {fs.Type} ({fs.MountPoint}): every node must see it at this path"));
        manifest.Write();
        var scriptPath = Path.Combine(manifest.Folder, SlurmSweep.ScriptFile);
        Training.Runs.WriteAtomically(scriptPath, script, "the Slurm job script");
        var job = SlurmSweep.Submit(scriptPath);
        SlurmQueue.Record(manifest.Folder, new SlurmJobRecord(job, resources, DateTime.UtcNow));
        AnsiConsole.MarkupLine(Markup.Escape($"submitted job array {job} ({todo.Count} tasks, {cpus} CPUs each): {scriptPath}"));
        AnsiConsole.MarkupLine(Markup.Escape($"progress: resnet sweep status {Describe(settings)}; logs: <run folder>/{SweepTaskRecord.LogFile}"));
        Console.WriteLine($"job {job}");
        return 0;
    }

    static string Describe(ISweepSelection s) =>
        string.Join(" ", new[]
        {
            s.Plan is null ? $"--models {s.Models}" : $"--plan {s.Plan}", $"--budget {s.Request().Budget.Key}",
            s.Seeds is { } n ? $"--seeds {n}" : null, s.Runs is null ? null : $"--runs {s.Runs}",
            s.Precision is null ? null : $"--precision {s.Request().Precision.Name()}",
        }.Where(x => x is not null));
}

/// <summary>`resnet sweep status`: each run finished / running (iteration, ETA) / pending / failed (log tail), with totals.</summary>
public sealed class SweepStatusCommand : Command<SweepCommand.Settings>
{
    public override int Execute(CommandContext context, SweepCommand.Settings settings, CancellationToken cancellation)
    {
        var request = settings.Request();
        var report = SweepStatus.Of(request.Label, request.Runs(), settings.RunsDir(), request.MeasuresSnapshots);
        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(report, RunJson.Options));
            return 0;
        }
        var table = new Table().Border(TableBorder.Simple).AddColumns("run", "state", "progress", "test error", "note");
        foreach (var r in report.Runs)
        {
            var colour = r.State switch { RunState.Finished => "green", RunState.Running => "blue", RunState.Failed => "red", _ => "grey" };
            var progress = r.Progress is { } p
                ? $"{p.Iteration:N0}/{p.Iterations:N0}" + (r.State == RunState.Running && p.EtaSeconds is { } eta ? $", eta {CliParse.Duration(TimeSpan.FromSeconds(eta))}" : "")
                : "";
            table.AddRow(Markup.Escape(r.Name), $"[{colour}]{r.State.ToString().ToLowerInvariant()}[/]", Markup.Escape(progress),
                         r.TestErrorPercent is { } e ? e.ToString("0.00", CultureInfo.InvariantCulture) + " %" : "", Markup.Escape(r.Message ?? ""));
        }
        AnsiConsole.Write(table);
        foreach (var r in report.Runs.Where(r => r.State == RunState.Failed && r.LogTail.Count > 0))
        {
            AnsiConsole.MarkupLine($"[red]{Markup.Escape(r.Name)}[/] — last lines of {Markup.Escape(Path.Combine(r.Folder, SweepTaskRecord.LogFile))}:");
            foreach (var line in r.LogTail) AnsiConsole.MarkupLine("  " + Markup.Escape(line));
        }
        foreach (var g in report.Runs.Where(r => r.Queued is { State: "PD" }).GroupBy(r => r.Queued!.Describe()))
            AnsiConsole.MarkupLine($"[yellow]{g.Count()} pending in Slurm:[/] {Markup.Escape(g.Key)}");
        AnsiConsole.MarkupLine(Markup.Escape($"{report.Label}: {report.Total} runs — {report.Finished} finished, {report.Running} running, " +
                                             $"{report.Pending} pending, {report.Failed} failed"));
        return 0;
    }
}

/// <summary>`resnet sweep task`: one array task (or local child) trains run --index of --manifest; exit 130 when interrupted.</summary>
public sealed class SweepTaskCommand : Command<SweepCommand.Settings>
{
    public override int Execute(CommandContext context, SweepCommand.Settings settings, CancellationToken cancellation)
    {
        if (settings.Manifest is null || settings.Index is null) throw new ArgumentException("--manifest FILE and --index I are both required");
        var manifest = SweepManifest.Read(settings.Manifest);
        var config = manifest.At(settings.Index.Value, settings.Manifest);
        var threads = manifest.Threads
                      ?? (int.TryParse(Environment.GetEnvironmentVariable("SLURM_CPUS_PER_TASK"), CultureInfo.InvariantCulture, out var c) ? c : null);
        var device = TorchRuntime.ParseDevice(manifest.Device);
        var folder = Training.Runs.Folder(config.RunName, manifest.RunsDir);
        Directory.CreateDirectory(folder);
        var job = Environment.GetEnvironmentVariable("SLURM_ARRAY_JOB_ID") is { Length: > 0 } a
            ? $"{a}_{Environment.GetEnvironmentVariable("SLURM_ARRAY_TASK_ID")}" : null;
        var task = new SweepTaskRecord(Environment.MachineName, Environment.ProcessId, job, DateTime.UtcNow, null, null, null);
        task.Write(folder);
        Console.WriteLine($"resnet sweep task {settings.Index} of {settings.Manifest}: {config.RunName} ({threads?.ToString(CultureInfo.InvariantCulture) ?? "default"} threads, pid {Environment.ProcessId})");

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        using var onSignals = StopSignals.Register(cts);
        int code;
        string? message = null;
        try
        {
            TorchRuntime.Initialize(device, threads);
            var options = new ExperimentOptions
            {
                RunsDir = manifest.RunsDir, DataDir = manifest.DataDir, Device = device, Threads = threads, RequireSnapshots = manifest.RequireSnapshots,
            };
            var result = Experiment.RunOrLoad(config, options, new TrainCommand.LineProgress(), cts.Token);
            message = $"{result.Outcome.ToString().ToLowerInvariant()}: {config.RunName}, iteration {result.Record.Iteration:N0}, session {result.Record.Sessions}";
            code = 0;
        }
        catch (OperationCanceledException e)
        {
            (code, message) = (ExitCodes.Interrupted, e.Message);
        }
        catch (DiskWriteException e)
        {
            (code, message) = (1, e.Message);
            Console.Error.WriteLine($"error: {e.Message}");
        }
        catch (Exception e)
        {
            (code, message) = (1, e.Message);
            Console.Error.WriteLine($"error: {e}");
        }
        try { (task with { EndedUtc = DateTime.UtcNow, ExitCode = code, Message = message }).Write(folder); }
        catch (DiskWriteException e) when (code != 0) { Console.Error.WriteLine($"error: {e.Message}"); }
        Console.WriteLine($"{message} (exit {code})");
        return code;
    }
}
