using ResNetLab.Cli;
using ResNetLab.Cli.Commands;
using Spectre.Console.Cli;

// `resnet` — the command line for long runs: one command class per verb under Commands/.
var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("resnet");
    config.PropagateExceptions();
    config.AddCommand<DoctorCommand>("doctor").WithDescription("Check the environment; each failing check says how to fix it.");
    config.AddCommand<ModelsCommand>("models").WithDescription("List every registered architecture with parameters and multiply-adds.");
    config.AddCommand<ReportsCommand>("reports").WithDescription("Execute the notebooks headlessly and publish offline HTML reports.");
    config.AddCommand<TrainCommand>("train").WithDescription("Train (or reuse, or resume) one run: the paper's CIFAR recipe at a budget.");
    config.AddCommand<EvalCommand>("eval").WithDescription("Test accuracy of a run, a checkpoint or PyTorch weights.");
    config.AddBranch("sweep", sweep =>
    {
        sweep.SetDescription("Train every missing run of a plan: here, N at a time, or as one Slurm job array; status; array tasks.");
        sweep.AddCommand<SweepCommand>("run").WithDescription("Train every missing run (what `resnet sweep --plan …` means): --engine local or slurm.");
        sweep.AddCommand<SweepStatusCommand>("status").WithDescription("Each run of a sweep: finished, running (iteration, ETA), pending or failed (log tail).");
        sweep.AddCommand<SweepTaskCommand>("task").WithDescription("Train run --index of a sweep's --manifest (what each Slurm array task runs).");
    });
    config.AddCommand<ResultsCommand>("results").WithDescription("Table 6 from a sweep's records: mean ± std, best and n over seeds, beside the paper.");
    config.AddCommand<BenchCommand>("bench").WithDescription("Training, evaluation and data-path throughput and memory.");
    config.AddBranch("data", data =>
    {
        data.SetDescription("The CIFAR datasets: download the official archive, or show which copy is in use.");
        data.AddCommand<DataDownloadCommand>("download").WithDescription("Download, verify (md5) and extract the official archive.");
        data.AddCommand<DataInfoCommand>("info").WithDescription("Where the dataset is, whether it is whole, and which copy it is.");
    });
});
return CliErrors.Run(() => app.Run(SweepCommand.DefaultVerb(args)));
