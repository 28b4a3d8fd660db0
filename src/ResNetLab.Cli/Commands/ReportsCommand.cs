using System.ComponentModel;
using ResNetLab.Models;
using ResNetLab.Notebooks.Reports;
using ResNetLab.Runtime;
using ResNetLab.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ResNetLab.Cli.Commands;

/// <summary>`resnet reports`: execute notebooks headlessly, publish offline HTML, check them in Chromium.</summary>
public sealed class ReportsCommand : Command<ReportsCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--budget <BUDGET>")]
        [Description("smoke | quick | depth | full | a number of iterations, e.g. 3200 (default: RESNET_BUDGET, else full with CUDA and quick on a CPU)")]
        public string? Budget { get; init; }

        [CommandOption("--out <DIR>")]
        [Description("Output folder (default: artifacts/reports)")]
        public string? Out { get; init; }

        [CommandOption("--notebooks <NAMES>")]
        [Description("Comma-separated notebook names or prefixes (default: all in notebooks/)")]
        public string? Notebooks { get; init; }

        [CommandOption("--timeout <MINUTES>")]
        [Description("Per-notebook timeout in minutes (default: 20 smoke, 120 quick, 2880 full)")]
        public double? TimeoutMinutes { get; init; }

        [CommandOption("--no-browser")]
        [Description("Skip the headless Chromium check")]
        public bool NoBrowser { get; init; }

        [CommandOption("--engine <ENGINE>")]
        [Description("repl (dotnet-repl, default) | jupyter (jupyter nbconvert --execute with this checkout's .net-csharp kernel)")]
        public string? Engine { get; init; }

        [CommandOption("--compare-with <DIR>")]
        [Description("Reports folder of another engine: each notebook must have as many chart outputs as there")]
        public string? CompareWith { get; init; }

        [CommandOption("--precision <PRECISION>")]
        [Description("fp32 | bf16 | auto: the precision the notebooks train in, passed to them as RESNET_PRECISION (default: RESNET_PRECISION, else fp32)")]
        public string? Precision { get; init; }

        [CommandOption("--dry-run")]
        [Description("Print the plan (runs per notebook, which are reused, estimated training time) and stop: nothing is executed or trained")]
        public bool DryRun { get; init; }

        [CommandOption("--data <DIR>")]
        [Description("CIFAR-10 folder passed to the notebooks as RESNET_DATA")]
        public string? Data { get; init; }

        [CommandOption("--runs <DIR>")]
        [Description("Runs folder the notebooks reuse and train into, passed as RESNET_RUNS (default: RESNET_RUNS, else runs/), e.g. one copied from a GPU machine")]
        public string? Runs { get; init; }

        [CommandOption("--reuse-only")]
        [Description("Render from finished runs only: refuse up front, listing each missing run and the command that trains it, instead of training")]
        public bool ReuseOnly { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var engine = CliParse.Flag("--engine", () => NotebookRunner.ParseEngine(settings.Engine));
        if (settings.CompareWith is { } cw && !Directory.Exists(cw)) throw new ArgumentException($"--compare-with {cw}: no such folder (expected a reports folder with executed .ipynb files)");
        var resolved = CliParse.Settings(new SettingsRequest(settings.Budget, settings.Precision, settings.Data, settings.Runs));
        var budget = resolved.Budget;
        var root = RepoPaths.Root;
        var notebooks = ReportBuilder.DiscoverNotebooks(Path.Combine(root, "notebooks"),
            settings.Notebooks?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var timeout = TimeSpan.FromMinutes(settings.TimeoutMinutes ?? budget.Name switch { "smoke" => 20, "quick" => 120, _ => 2880 });
        var runsDir = resolved.RunsDir;
        var precision = resolved.Precision;
        var plans = NotebookPlans.Make(notebooks, budget, runsDir, TrainingEstimate.FromRuns(runsDir), precision);
        var progress = new ReportProgress(plans, runsDir, live: ReportProgress.IsInteractive);
        progress.PrintPlan(budget, precision);
        if (settings.ReuseOnly && NotebookPlans.MissingForReuseOnly(plans, runsDir) is { Count: > 0 } missing)
        {
            // refuse before any kernel starts: a render from someone else's runs must not quietly train for hours
            Console.WriteLine($"--reuse-only: {missing.Count} run(s) the notebooks need are not finished in {runsDir}:");
            foreach (var (run, why) in missing) Console.WriteLine($"  {run.Name} ({run.Notebook}): {why}");
            var notebooksToTrain = missing.Select(m => m.Run.Notebook).Distinct().ToList();
            Console.WriteLine("Train them where there is time (a GPU machine), then copy that runs folder here and run this again:");
            Console.WriteLine($"  environment/resnet reports --budget {budget.Key}" + (precision == Precision.Fp32 ? "" : $" --precision {precision.Name()}") +
                              $" --notebooks {string.Join(",", notebooksToTrain.Select(n => n[..2]))} --no-browser   # trains them ({NotebookPlans.Duration(missing.Sum(m => m.Run.Seconds))} here)");
            return 2;
        }
        if (settings.DryRun) return 0;
        var options = new ReportOptions(resolved, Path.GetFullPath(settings.Out ?? Path.Combine(root, "artifacts", "reports")), notebooks, timeout,
            BrowserCheck: !settings.NoBrowser, Engine: engine,
            CompareWith: settings.CompareWith is null ? null : Path.GetFullPath(settings.CompareWith), Watch: progress.Follow);
        var reports = ReportBuilder.Build(options, line => AnsiConsole.MarkupLine(Markup.Escape(line)));
        var failures = reports.Where(r => !r.Ok).ToList();
        foreach (var r in failures)
        {
            foreach (var e in r.Errors) AnsiConsole.MarkupLine($"[red]failed:[/] {Markup.Escape(e.ToString())}");
            if (r.TimeoutMessage is { } t) AnsiConsole.MarkupLine($"[red]failed:[/] {Markup.Escape(t)}");
            if (r.Browser is { Ok: false } b) AnsiConsole.MarkupLine($"[red]browser:[/] {Markup.Escape(b.Describe())}");
        }
        var index = Path.Combine(options.OutputDir, "index.html");
        AnsiConsole.MarkupLine(failures.Count == 0
            ? $"[green]{reports.Count} report(s) ok[/] — open {Markup.Escape(index)}"
            : $"[red]{failures.Count} of {reports.Count} notebook(s) failed[/] — see {Markup.Escape(index)}");
        return failures.Count == 0 ? 0 : 1;
    }
}
