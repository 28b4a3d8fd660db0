using System.ComponentModel;
using System.Diagnostics;
using ResNetLab.Notebooks.Apps;
using ResNetLab.Notebooks.Reports;
using ResNetLab.Runtime;
using ResNetLab.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ResNetLab.Cli.Commands;

public class NotebookSettings : CommandSettings
{
    [CommandArgument(0, "<NOTEBOOK>")]
    [Description("Notebook name or prefix in notebooks/ (e.g. 01 or 02-degradation)")]
    public string Notebook { get; init; } = "";

    [CommandOption("--out <DIR>")]
    [Description("Folder for the generated app (default: artifacts/apps)")]
    public string? Out { get; init; }

    internal (string Notebook, string App) Resolve()
    {
        var root = RepoPaths.Root;
        var matches = ReportBuilder.DiscoverNotebooks(Path.Combine(root, "notebooks"), [Notebook]);
        if (matches.Count != 1)
            throw new ArgumentException($"<NOTEBOOK> '{Notebook}' matches {matches.Count} notebooks ({string.Join(", ", matches.Select(Path.GetFileNameWithoutExtension))}): give more of the name");
        var dir = Path.GetFullPath(Out ?? Path.Combine(root, "artifacts", "apps"));
        return (matches[0], Path.Combine(dir, Path.GetFileNameWithoutExtension(matches[0]) + ".cs"));
    }

    internal static string Export(string notebook, string app)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(app)!);
        ResNetLab.Training.Runs.WriteAtomically(app, NotebookApp.Generate(notebook, app, RepoPaths.Root), "the notebook app");
        return app;
    }
}

/// <summary>`resnet notebook export NAME --as-app`: write the notebook as a .NET 10 file-based app.</summary>
public sealed class NotebookExportCommand : Command<NotebookExportCommand.Settings>
{
    public sealed class Settings : NotebookSettings
    {
        [CommandOption("--as-app")]
        [Description("Export as a .NET 10 file-based app (dotnet run FILE.cs); the only export format")]
        public bool AsApp { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        if (!settings.AsApp) throw new ArgumentException("notebook export: say the format: --as-app (a .NET 10 file-based app)");
        var (notebook, app) = settings.Resolve();
        NotebookSettings.Export(notebook, app);
        AnsiConsole.MarkupLine($"wrote {Markup.Escape(app)} — run it with: dotnet run {Markup.Escape(Path.GetRelativePath(Directory.GetCurrentDirectory(), app))}");
        return 0;
    }
}

/// <summary>`resnet notebook run NAME`: export as an app and run it with `dotnet run` (no notebook kernel involved).</summary>
public sealed class NotebookRunCommand : Command<NotebookRunCommand.Settings>
{
    public sealed class Settings : NotebookSettings
    {
        [CommandOption("--html <FILE>")]
        [Description("Where the page goes (default: beside the app, NAME.html)")]
        public string? Html { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var (notebook, app) = settings.Resolve();
        NotebookSettings.Export(notebook, app);
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = RepoPaths.Root, ArgumentList = { "run", app } };
        if (settings.Html is { } html) { psi.ArgumentList.Add("--"); psi.ArgumentList.Add(Path.GetFullPath(html)); }
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        return p.ExitCode;
    }
}

/// <summary>
/// `resnet notebook live-check`: serve notebooks with `jupyter notebook` (classic) offline, Run All in headless Chromium,
/// and fail naming the notebook when a cell errors or a chart stays blank.
/// </summary>
public sealed class NotebookLiveCheckCommand : Command<NotebookLiveCheckCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--notebooks <NAMES>")]
        [Description("Comma-separated notebook names or prefixes (default: 00,01)")]
        public string? Notebooks { get; init; }

        [CommandOption("--budget <BUDGET>")]
        [Description("smoke | quick | depth | full | iterations, passed to the kernel as RESNET_BUDGET (default: smoke)")]
        public string? Budget { get; init; }

        [CommandOption("--out <DIR>")]
        [Description("Where the screenshots go (default: artifacts/live-check)")]
        public string? Out { get; init; }

        [CommandOption("--timeout <MINUTES>")]
        [Description("Per-notebook timeout in minutes (default: 10)")]
        public double? TimeoutMinutes { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var resolved = CliParse.Settings(new SettingsRequest(settings.Budget ?? "smoke", null, null));
        var root = RepoPaths.Root;
        var notebooks = ReportBuilder.DiscoverNotebooks(Path.Combine(root, "notebooks"),
            (settings.Notebooks ?? "00,01").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var env = new Dictionary<string, string>(resolved.ToEnvironment())
        {
            ["RESNET_ROOT"] = root,
            ["JUPYTER_PATH"] = NotebookRunner.PrepareJupyterKernel(),   // this checkout's kernel spec
        };
        var outDir = Path.GetFullPath(settings.Out ?? Path.Combine(root, "artifacts", "live-check"));
        var started = Stopwatch.StartNew();
        var results = LiveCheck.RunAsync(notebooks, env, outDir, TimeSpan.FromMinutes(settings.TimeoutMinutes ?? 10),
            line => AnsiConsole.MarkupLine(Markup.Escape(line))).GetAwaiter().GetResult();
        foreach (var r in results.Where(r => !r.Ok))
            AnsiConsole.MarkupLine($"[red]failed:[/] {Markup.Escape(r.Describe())}" + (r.Screenshot is { } s ? $" (screenshot {Markup.Escape(s)})" : ""));
        AnsiConsole.MarkupLine($"live check: {results.Count(r => r.Ok)}/{results.Count} notebooks ran with every chart drawn, in {started.Elapsed.TotalSeconds:F0} s");
        return results.All(r => r.Ok) ? 0 : 1;
    }
}
