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
    config.AddCommand<BenchCommand>("bench").WithDescription("Training, evaluation and data-path throughput and memory.");
    config.AddBranch("notebook", notebook =>
    {
        notebook.SetDescription("A notebook without a notebook kernel: as a .NET 10 file-based app that writes an HTML page.");
        notebook.AddCommand<NotebookExportCommand>("export").WithDescription("Write notebooks/NAME.ipynb as artifacts/apps/NAME.cs (--as-app).");
        notebook.AddCommand<NotebookRunCommand>("run").WithDescription("Export as an app and run it: dotnet run artifacts/apps/NAME.cs → NAME.html.");
    });
    config.AddBranch("data", data =>
    {
        data.SetDescription("The CIFAR datasets: download the official archive, or show which copy is in use.");
        data.AddCommand<DataDownloadCommand>("download").WithDescription("Download, verify (md5) and extract the official archive.");
        data.AddCommand<DataInfoCommand>("info").WithDescription("Where the dataset is, whether it is whole, and which copy it is.");
    });
});
return CliErrors.Run(() => app.Run(args));
