using System.ComponentModel;
using ResNetLab.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ResNetLab.Cli.Commands;

/// <summary>
/// `resnet keep`: copy finished runs' records (run.json, metrics.csv — never weights) into notebooks/reference-runs, the
/// project's committed reference curves that the notebooks draw beside a student's runs.
/// </summary>
public sealed class KeepCommand : Command<KeepCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<RUN>")]
        [Description("Run folders (runs/NAME) or run names under --runs; each must be finished")]
        public string[] Run { get; init; } = [];

        [CommandOption("--runs <DIR>")]
        [Description("Runs folder where run names are looked up (default: RESNET_RUNS, then runs/)")]
        public string? Runs { get; init; }

        [CommandOption("--to <DIR>")]
        [Description("Where the records go (default: notebooks/reference-runs of this checkout)")]
        public string? To { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        if (settings.Run.Length == 0) throw new ArgumentException("name at least one finished run, e.g. resnet keep runs/resnet56-A-cifar10-12800it-bf16-s0");
        foreach (var run in settings.Run)
        {
            var target = ReferenceRuns.Keep(EvalCommand.RunFolder(run, settings.Runs), settings.To);
            AnsiConsole.MarkupLine($"kept [green]{Markup.Escape(Path.GetFileName(target))}[/] → {Markup.Escape(target)} (run.json, metrics.csv)");
        }
        return 0;
    }
}
