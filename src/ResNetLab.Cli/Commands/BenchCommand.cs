using System.ComponentModel;
using System.Text.Json;
using ResNetLab.Models;
using ResNetLab.Runtime;
using ResNetLab.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ResNetLab.Cli.Commands;

/// <summary>`resnet bench`: the project's performance figures (median train-step img/s, eval, data path, memory).</summary>
public sealed class BenchCommand : Command<BenchCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--model <NAME>")]
        [Description("Registered network (default resnet20)")]
        [DefaultValue("resnet20")]
        public string Model { get; init; } = "resnet20";

        [CommandOption("--batch <N>")]
        [Description("Images per training step (default 128, the paper's batch)")]
        [DefaultValue(128)]
        public int Batch { get; init; } = 128;

        [CommandOption("--iters <N>")]
        [Description("Timed training steps after 3 warm-up steps")]
        [DefaultValue(20)]
        public int Iters { get; init; } = 20;

        [CommandOption("--threads <N>")]
        [Description("CPU threads for libtorch (default: all cores)")]
        public int? Threads { get; init; }

        [CommandOption("--device <DEVICE>")]
        [Description("cpu, cuda or auto (default auto: CUDA when visible)")]
        public string? Device { get; init; }

        [CommandOption("--compare-pytorch")]
        [Description("ResNet-20 only: alternate rounds with environment/bench/pytorch_resnet20.py (Debian python3-torch) and print both medians and the ratio")]
        public bool ComparePyTorch { get; init; }

        [CommandOption("--rounds <N>")]
        [Description("Alternating rounds for --compare-pytorch")]
        [DefaultValue(3)]
        public int Rounds { get; init; } = 3;

        [CommandOption("--layout <LAYOUT>")]
        [Description("Activation layout: nchw or nhwc (channels-last); default nhwc on CPU, nchw on CUDA — as training uses")]
        public string? Layout { get; init; }

        [CommandOption("--precision <PRECISION>")]
        [Description("fp32 (default), bf16 (mixed precision: bfloat16 convolutions, float32 master weights) or auto (bf16 where the CPU has native BF16)")]
        public string? Precision { get; init; }

        [CommandOption("--json")]
        [Description("Print the figures as JSON (train_img_per_s, eval_img_per_s, augment_img_per_s, peak_rss_mb, rss_growth_mb, …)")]
        public bool Json { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var device = CliParse.Flag("--device", () => TorchRuntime.ParseDevice(settings.Device));
        TorchRuntime.Initialize(device, settings.Threads);
        if (settings.ComparePyTorch) return Compare(settings);
        var channelsLast = CliParse.Layout("--layout", settings.Layout);
        var precision = CliParse.Flag("--precision", () => Precisions.Parse(settings.Precision));
        BenchResult result;
        if (settings.Json || !AnsiConsole.Profile.Capabilities.Interactive)
            result = Bench.Run(settings.Model, settings.Batch, settings.Iters, settings.Threads, device,
                channelsLast: channelsLast, precision: precision);
        else
        {
            BenchResult? r = null;
            AnsiConsole.Status().Start("bench", s => r = Bench.Run(settings.Model, settings.Batch, settings.Iters, settings.Threads, device,
                progress: new Status(m => s.Status($"{settings.Model}: {m}")), channelsLast: channelsLast, precision: precision));
            result = r!;
        }
        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(result, RunJson.Options));
            return 0;
        }
        var table = new Table().Border(TableBorder.Simple).HideHeaders().AddColumns("", "");
        table.AddRow("model", $"{result.Model}, batch {result.Batch}, {result.Threads} threads, {result.Device}, {result.Layout}, {result.Precision}");
        table.AddRow("train step", $"{result.TrainImgPerS:N0} img/s (median of {result.Iterations}: {result.TrainStepMs:F1} ms)");
        table.AddRow("eval", $"{result.EvalImgPerS:N0} img/s");
        table.AddRow("augmentation", $"{result.AugmentImgPerS:N0} img/s (gather, normalise, pad/crop/flip)");
        table.AddRow("memory", $"peak RSS {result.PeakRssMb:N0} MB, growth over the timed steps {result.RssGrowthMb:+0.0;-0.0} MB");
        table.AddRow("runtime", Markup.Escape(result.Runtime));
        AnsiConsole.Write(table);
        return 0;
    }

    static int Compare(Settings settings)
    {
        if (!string.Equals(settings.Model, "resnet20", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException("--compare-pytorch exists for resnet20 (the model environment/bench/pytorch_resnet20.py builds)");
        var threads = settings.Threads ?? 2;
        var ours = CliParse.Layout("--layout", settings.Layout);
        PyTorchComparison c;
        if (settings.Json) c = Bench.ComparePyTorch(settings.Batch, settings.Iters, threads, settings.Rounds, channelsLast: ours);
        else
        {
            PyTorchComparison? r = null;
            AnsiConsole.Status().Start("compare", s => r = Bench.ComparePyTorch(settings.Batch, settings.Iters, threads, settings.Rounds,
                progress: new Status(m => s.Status(m)), channelsLast: ours));
            c = r!;
        }
        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(c, RunJson.Options));
            return 0;
        }
        var table = new Table().Border(TableBorder.Simple).AddColumns("resnet20 train step", "layout", "precision", "median img/s", "rounds");
        foreach (var row in c.Rows)
            table.AddRow(Markup.Escape(row.Engine), row.Layout, row.Precision, $"{row.ImgPerS:N0}", string.Join(", ", row.Rounds.Select(v => v.ToString("N0"))));
        AnsiConsole.Write(table);
        var ratios = new Table().Border(TableBorder.Simple).AddColumns("ratio (TorchSharp / PyTorch)", "");
        foreach (var (what, ratio) in c.Ratios) ratios.AddRow(Markup.Escape(what), $"{ratio:F2}");
        AnsiConsole.Write(ratios);
        AnsiConsole.MarkupLine($"batch {c.Batch}, {c.Threads} threads, {c.Rounds} rounds of {c.Iterations} steps, every configuration once per round; CPU: {Markup.Escape(CpuFeatures.Describe())}");
        return 0;
    }

    sealed class Status(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
