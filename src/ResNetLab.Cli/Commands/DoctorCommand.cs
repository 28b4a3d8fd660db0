using System.ComponentModel;
using System.Diagnostics;
using System.Reflection;
using ResNetLab.Data;
using ResNetLab.Diagnostics;
using ResNetLab.Runtime;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ResNetLab.Cli.Commands;

/// <summary>`resnet doctor`: one line per check; a failing required check says what to run and exits 1.</summary>
public sealed class DoctorCommand : Command<DoctorCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--data <DIR>")]
        [Description("CIFAR-10 folder to check (default: RESNET_DATA, then data/cifar-10-batches-bin)")]
        public string? Data { get; init; }

        [CommandOption("--kernel")]
        [Description("Also start the registered Jupyter kernel (.net-csharp) and run a C# cell (slow: tens of seconds)")]
        public bool Kernel { get; init; }

        [CommandOption("--json")]
        [Description("Print the checks as JSON")]
        public bool Json { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var checks = Doctor.RunAll(settings.Data, settings.Kernel);
        if (settings.Json)
        {
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(checks, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            foreach (var c in checks)
            {
                var mark = c.Status switch { CheckStatus.Ok => "[green] ok [/]", CheckStatus.Warn => "[yellow]warn[/]", _ => "[red]FAIL[/]" };
                AnsiConsole.MarkupLine($"{mark} {Markup.Escape(c.Name),-22} {Markup.Escape(c.Detail)}");
                if (c.Status != CheckStatus.Ok && c.Fix is { } fix) AnsiConsole.MarkupLine($"       [grey]fix:[/] {Markup.Escape(fix)}");
            }
        }
        var failed = checks.Count(c => c.Status == CheckStatus.Fail);
        if (!settings.Json) AnsiConsole.MarkupLine(failed == 0 ? "[green]all required checks passed[/]" : $"[red]{failed} required check(s) failed[/]");
        return failed == 0 ? 0 : 1;
    }
}
