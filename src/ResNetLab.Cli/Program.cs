using System.Reflection;
using ResNetLab.Cli;
using ResNetLab.Cli.Commands;
using Spectre.Console.Cli;

// `resnet` — the command line for long runs: one command class per verb under Commands/.
// Exit codes: 0 success, 1 the job failed (a notebook, a check, a diverged run), 2 bad input (flag, value, file).
// Redirected output (nohup, Slurm job files, CI) is a log: Spectre would wrap its lines at 80 columns, breaking a message
// such as "… interrupted at iteration 2,903; checkpoint saved, run again to resume" over two lines. An explicit COLUMNS wins.
if (Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("COLUMNS")))
    Spectre.Console.AnsiConsole.Profile.Width = 4096;
var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("resnet");
    config.SetApplicationVersion(CliVersion.Text);
    config.UseStrictParsing();
    config.PropagateExceptions();
    CliSurface.Add<DoctorCommand>(config, "doctor").WithDescription("Check the environment; each failing check says how to fix it.")
        .WithExample("doctor").WithExample("doctor", "--json");
    CliSurface.Add<ModelsCommand>(config, "models").WithDescription("List every registered architecture with parameters and multiply-adds.")
        .WithExample("models", "resnet*").WithExample("models", "--shortcut", "B", "--json");
    CliSurface.Add<ReportsCommand>(config, "reports").WithDescription("Execute the notebooks headlessly and publish offline HTML reports.")
        .WithExample("reports").WithExample("reports", "--budget", "smoke", "--notebooks", "01,02");
    CliSurface.Add<TrainCommand>(config, "train").WithDescription("Train (or reuse, or resume) one run: the paper's CIFAR recipe at a budget.")
        .WithExample("train", "--model", "resnet20", "--budget", "smoke").WithExample("train", "--model", "resnet110", "--budget", "full", "--seed", "1");
    CliSurface.Add<EvalCommand>(config, "eval").WithDescription("Test accuracy of a run, a checkpoint, PyTorch weights or a fully trained reference net.")
        .WithExample("eval", "--run", "runs/resnet20-A-cifar10-quick-s0").WithExample("eval", "--pretrained", "resnet56", "--json").WithExample("eval", "--pytorch", "resnet20.pt", "--model", "resnet20", "--normalize", "cifar");
    CliSurface.Add<ExportCommand>(config, "export").WithDescription("Write a run's weights as safetensors or a torch.save file (PyTorch key names).")
        .WithExample("export", "--run", "runs/resnet20-A-cifar10-quick-s0", "--out", "resnet20.safetensors")
        .WithExample("export", "--checkpoint", "runs/resnet20-A-cifar10-quick-s0/checkpoint.bin", "--format", "pytorch", "--out", "resnet20.pt");
    CliSurface.Add<KeepCommand>(config, "keep").WithDescription("Copy finished runs' records (no weights) into notebooks/reference-runs, the curves notebooks draw beside yours.")
        .WithExample("keep", "runs/resnet56-A-cifar10-12800it-bf16-s0");
    CliSurface.Add<BenchCommand>(config, "bench").WithDescription("Training, evaluation and data-path throughput and memory.")
        .WithExample("bench", "--model", "resnet20").WithExample("bench", "--model", "resnet20", "--compare-pytorch", "--rounds", "5")
        .WithExample("bench", "--model", "resnet20", "--profile", "--precision", "bf16");
    config.AddBranch("notebook", notebook =>
    {
        notebook.SetDescription("A notebook without a notebook kernel: as a .NET 10 file-based app that writes an HTML page.");
        CliSurface.Add<NotebookExportCommand>(notebook, "export", "notebook").WithDescription("Write notebooks/NAME.ipynb as artifacts/apps/NAME.cs (--as-app).");
        CliSurface.Add<NotebookRunCommand>(notebook, "run", "notebook").WithDescription("Export as an app and run it: dotnet run artifacts/apps/NAME.cs → NAME.html.");
        CliSurface.Add<NotebookLiveCheckCommand>(notebook, "live-check", "notebook").WithDescription("Run All in the browser front end (jupyter notebook, headless Chromium, offline): every chart drawn, no cell error.")
            .WithExample("notebook", "live-check", "--notebooks", "00,01");
    });
    config.AddBranch("sweep", sweep =>
    {
        sweep.SetDescription("Train every missing run of a plan: here, N at a time, or as one Slurm job array; status; array tasks.");
        CliSurface.Add<SweepCommand>(sweep, "run", "sweep").WithDescription("Train every missing run (what `resnet sweep --plan …` means): --engine local or slurm.")
            .WithExample("sweep", "--plan", "degradation", "--budget", "smoke", "--seeds", "2", "--jobs", "2")
            .WithExample("sweep", "--plan", "very-deep", "--budget", "full", "--seeds", "5", "--engine", "slurm", "--partition", "gpu", "--gres", "gpu:1", "--time", "1-00:00:00");
        CliSurface.Add<SweepStatusCommand>(sweep, "status", "sweep").WithDescription("Each run of a sweep: finished, running (iteration, ETA), pending or failed (log tail).")
            .WithExample("sweep", "status", "--plan", "degradation", "--budget", "smoke", "--seeds", "2", "--json");
        CliSurface.Add<SweepTaskCommand>(sweep, "task", "sweep").WithDescription("Train run --index of a sweep's --manifest (what each Slurm array task runs).")
            .WithExample("sweep", "task", "--manifest", "runs/.sweeps/degradation-smoke-1a2b/manifest.json", "--index", "0");
    });
    CliSurface.Add<ResultsCommand>(config, "results").WithDescription("Table 6 from a sweep's records: mean ± std, best and n over seeds, beside the paper.")
        .WithExample("results", "--plan", "very-deep", "--budget", "full", "--seeds", "5").WithExample("results", "--plan", "degradation", "--budget", "smoke", "--seeds", "2", "--csv");
    config.AddBranch("data", data =>
    {
        data.SetDescription("The CIFAR datasets (download the official archive, or show which copy is in use) and the reference nets.");
        CliSurface.Add<DataDownloadCommand>(data, "download", "data").WithDescription("Download, verify (md5) and extract the official archive.")
            .WithExample("data", "download").WithExample("data", "download", "--dataset", "cifar100");
        CliSurface.Add<DataInfoCommand>(data, "info", "data").WithDescription("Where the dataset is, whether it is whole, and which copy it is.")
            .WithExample("data", "info").WithExample("data", "info", "--json");
        CliSurface.Add<DataPretrainedCommand>(data, "pretrained", "data").WithDescription("Put the fully trained reference nets in data/pretrained (download, else --from an offline copy; sha256 verified).")
            .WithExample("data", "pretrained").WithExample("data", "pretrained", "--from", "../shared/pretrained/akamaster");
    });
});
return CliErrors.Run(() =>
{
    var rewritten = SweepCommand.DefaultVerb(args);   // `resnet sweep --plan …` means `resnet sweep run --plan …`
    CliSurface.Validate(rewritten);
    return app.Run(rewritten);
});

/// <summary>The version `resnet --version` and `doctor` print: the project's, with the engine it runs on.</summary>
static class CliVersion
{
    public static string Text =>
        (typeof(CliVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown").Split('+')[0];
}
