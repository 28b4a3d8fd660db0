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
    config.AddCommand<ReportsCommand>("reports").WithDescription("Execute the notebooks headlessly and publish offline HTML reports.");
    config.AddCommand<ModelsCommand>("models").WithDescription("List every registered architecture with parameters and multiply-adds.");
});
return CliErrors.Run(() => app.Run(args));
