using System.ComponentModel;
using System.Diagnostics;
using ResNetLab.Notebooks.Apps;
using ResNetLab.Notebooks.Reports;
using ResNetLab.Runtime;
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
