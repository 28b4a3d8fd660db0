using System.ComponentModel;
using System.Text.Json;
using ResNetLab.Data;
using ResNetLab.Models.Pretrained;
using ResNetLab.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ResNetLab.Cli.Commands;

public class DataSettings : CommandSettings
{
    [CommandOption("--dataset <NAME>")]
    [Description("cifar10 or cifar100")]
    [DefaultValue("cifar10")]
    public string Dataset { get; init; } = "cifar10";

    [CommandOption("--data <DIR>")]
    [Description("Dataset folder or its parent (default: RESNET_DATA, then data/)")]
    public string? Data { get; init; }
}

/// <summary>`resnet data download`: the official archive, md5-verified, extracted in .NET, moved into place.</summary>
public sealed class DataDownloadCommand : AsyncCommand<DataSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, DataSettings settings, CancellationToken cancellation)
    {
        var format = CliParse.Flag("--dataset", () => CifarFormat.Parse(settings.Dataset));
        var folder = DataLocation.Resolve(settings.Data, format, out var from);
        if (settings.Data is not null) from = "--data";
        var parent = Path.GetDirectoryName(folder)!;
        if (format.Verify(folder).Count == 0 && DataSource.Detect(folder, format) == DataSourceKind.Official)
        {
            AnsiConsole.MarkupLine($"[green]{Markup.Escape(format.DisplayName)} already installed[/] at {Markup.Escape(folder)} (official, md5 verified)");
            return 0;
        }
        AnsiConsole.MarkupLine($"downloading {Markup.Escape(format.ArchiveUrl)} → {Markup.Escape(parent)} (from {Markup.Escape(from)})");
        var target = await AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new DownloadedColumn(), new TransferSpeedColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(format.DisplayName, maxValue: 1);
                return await CifarDownloader.DownloadAsync(format, parent, progress: new Reporter(p =>
                {
                    if (p.Total is { } t) task.MaxValue = t;
                    task.Value = p.Done;
                }), cancellation: cancellation);
            });
        AnsiConsole.MarkupLine($"[green]installed[/] {Markup.Escape(target)}: md5 {format.ArchiveMd5} verified, {format.Files().Count()} files");
        return 0;
    }

    sealed class Reporter(Action<(long Done, long? Total)> report) : IProgress<(long Done, long? Total)>
    {
        public void Report((long Done, long? Total) value) => report(value);
    }
}

/// <summary>`resnet data info`: where the dataset is, whether it is whole, and which copy it is (official, mirror, custom).</summary>
public sealed class DataInfoCommand : Command<DataInfoCommand.Settings>
{
    public sealed class Settings : DataSettings
    {
        [CommandOption("--json")]
        [Description("Print the answer as JSON (dataset, folder, whole, problems, source, label)")]
        public bool Json { get; init; }
    }

    public sealed record DataInfo(string Dataset, string Folder, string From, bool Whole, IReadOnlyList<string> Problems, string Source, string Label);

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var format = CliParse.Flag("--dataset", () => CifarFormat.Parse(settings.Dataset));
        var folder = DataLocation.Resolve(settings.Data, format, out var from);
        if (settings.Data is not null) from = "--data";
        var problems = format.Verify(folder);
        var kind = problems.Count == 0 ? DataSource.Detect(folder, format) : DataSourceKind.Missing;
        var info = new DataInfo(format.DisplayName, folder, from, problems.Count == 0, problems, DataSource.Name(kind), DataSource.Label(kind, format));
        if (settings.Json) Console.WriteLine(JsonSerializer.Serialize(info, RunJson.Options));
        else
        {
            AnsiConsole.MarkupLine($"{Markup.Escape(info.Dataset)} at {Markup.Escape(folder)} (from {Markup.Escape(from)})");
            if (problems.Count == 0) AnsiConsole.MarkupLine($"[green]whole[/]: {Markup.Escape(info.Label)}");
            foreach (var p in problems) AnsiConsole.MarkupLine($"[red]{Markup.Escape(p)}[/]");
            if (problems.Count > 0) AnsiConsole.MarkupLine($"[grey]{Markup.Escape(format.FixHint)}[/]");
        }
        return problems.Count == 0 ? 0 : 1;
    }
}

/// <summary>`resnet data pretrained`: the reference nets into data/pretrained/, each verified by its sha256 (setup.sh runs it).</summary>
public sealed class DataPretrainedCommand : AsyncCommand<DataPretrainedCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--from <DIR>")]
        [Description("Offline copy to take files from when the download fails (e.g. ../shared/pretrained/akamaster)")]
        public string? From { get; init; }

        [CommandOption("--out <DIR>")]
        [Description("Folder to install into (default: data/pretrained in the checkout)")]
        public string? Out { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        if (settings.From is { } from && !Directory.Exists(from)) throw new DirectoryNotFoundException($"--from {from}: no such folder");
        var folder = Path.GetFullPath(settings.Out ?? ReferenceNets.DefaultFolder);
        var installed = await ReferenceNetInstaller.InstallAsync(folder, settings.From, cancellation: cancellation);
        foreach (var n in installed)
            Console.WriteLine($"{n.Net.File}: {n.Outcome.ToString().ToLowerInvariant()}, sha256 verified");
        Console.WriteLine($"in {folder}, with the licence notice {ReferenceNets.LicenceFile} ({ReferenceNets.Licence})");
        return 0;
    }
}
