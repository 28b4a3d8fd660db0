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

        [CommandOption("--profile")]
        [Description("ResNet-20 only: where a training step's time goes, kernel by kernel — both engines run under oneDNN's verbose mode in child processes (this engine at --precision, PyTorch channels-last with the same precision), beside this CPU's matrix-multiply peak")]
        public bool Profile { get; init; }

        [CommandOption("--rounds <N>")]
        [Description("Alternating rounds for --compare-pytorch")]
        [DefaultValue(3)]
        public int Rounds { get; init; } = 3;

        [CommandOption("--layout <LAYOUT>")]
        [Description("Activation layout: nchw or nhwc (channels-last); default nhwc on CPU, nchw on CUDA — as training uses")]
        public string? Layout { get; init; }

        [CommandOption("--precision <PRECISION>")]
        [Description("fp32 (default), bf16 (mixed precision: bfloat16 convolutions, float32 master weights) or auto (bf16 where the CPU has native BF16); with --compare-pytorch, only that precision (default: both)")]
        public string? Precision { get; init; }

        [CommandOption("--json")]
        [Description("Print the figures as JSON (train_img_per_s, eval_img_per_s, augment_img_per_s, peak_rss_mb, rss_growth_mb, …)")]
        public bool Json { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var device = CliParse.Flag("--device", () => TorchRuntime.ParseDevice(settings.Device));
        TorchRuntime.Initialize(device, settings.Threads);
        if (settings.ComparePyTorch && settings.Profile) throw new ArgumentException("--compare-pytorch and --profile are separate measurements: run one, then the other");
        if (settings.ComparePyTorch) return Compare(settings);
        if (settings.Profile) return Profile(settings);
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
        table.AddRow("memory", $"peak RSS {result.PeakRssMb:N0} MB, growth over the timed steps {result.RssGrowthMb:+0.0;-0.0} MB, {result.MinorFaultsPerStep:N0} minor page faults per step");
        table.AddRow("runtime", Markup.Escape(result.Runtime));
        table.AddRow("native heap", Markup.Escape(result.NativeHeap));
        AnsiConsole.Write(table);
        return 0;
    }

    static int Compare(Settings settings)
    {
        if (!string.Equals(settings.Model, "resnet20", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException("--compare-pytorch exists for resnet20 (the model environment/bench/pytorch_resnet20.py builds)");
        var threads = settings.Threads ?? 2;
        var ours = CliParse.Layout("--layout", settings.Layout);
        // --precision narrows the comparison to one precision; without it both are timed.
        Precision? precision = settings.Precision is null ? null : CliParse.Flag("--precision", () => Precisions.Parse(settings.Precision));
        PyTorchComparison c;
        if (settings.Json) c = Bench.ComparePyTorch(settings.Batch, settings.Iters, threads, settings.Rounds, channelsLast: ours, precision: precision);
        else
        {
            PyTorchComparison? r = null;
            AnsiConsole.Status().Start("compare", s => r = Bench.ComparePyTorch(settings.Batch, settings.Iters, threads, settings.Rounds,
                progress: new Status(m => s.Status(m)), channelsLast: ours, precision: precision));
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
        var ratios = new Table().Border(TableBorder.Simple).AddColumns("ratio (TorchSharp / PyTorch)", "median", "rounds");
        foreach (var (what, ratio) in c.Ratios)
            ratios.AddRow(Markup.Escape(what), $"{ratio:F2}", string.Join(", ", c.RoundRatios[what].Select(v => v.ToString("F2"))));
        AnsiConsole.Write(ratios);
        AnsiConsole.MarkupLine($"batch {c.Batch}, {c.Threads} threads, {c.Rounds} rounds of {c.Iterations} steps, every configuration once per round; a ratio is the median of the rounds' own ratios; CPU: {Markup.Escape(CpuFeatures.Describe())}");
        AnsiConsole.MarkupLine($"native heap: TorchSharp — {Markup.Escape(NativeHeap.Setting.Note)}; PyTorch — its own default (the same thresholds did not change its speed: docs/performance.md)");
        return 0;
    }

    static int Profile(Settings settings)
    {
        if (!string.Equals(settings.Model, "resnet20", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException("--profile exists for resnet20 (the model environment/bench/pytorch_resnet20.py builds)");
        var precision = CliParse.Flag("--precision", () => Precisions.Parse(settings.Precision));
        var threads = settings.Threads ?? 2;
        // The child is this CLI again (`dotnet resnet.dll bench …`), run by KernelProfile with ONEDNN_VERBOSE=1.
        var self = Self.Command();
        var child = new System.Diagnostics.ProcessStartInfo(self[0]);
        foreach (var a in self.Skip(1).Concat(["bench", "--model", "resnet20", "--precision", precision.Name(),
                     "--threads", $"{threads}", "--batch", $"{settings.Batch}", "--iters", $"{settings.Iters}", "--json"])) child.ArgumentList.Add(a);
        IReadOnlyList<EngineProfile> profiles = [];
        double peak = 0, stepGflop = KernelProfile.TrainStepGflop("resnet20", settings.Batch);
        AnsiConsole.Status().Start("profile", s =>
        {
            profiles = KernelProfile.Run(child, precision, threads, settings.Batch, settings.Iters, progress: new Status(m => s.Status(Markup.Escape(m))));
            s.Status("matrix-multiply peak");
            peak = KernelProfile.MatmulGflops(precision);
        });
        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new { precision = precision.Name(), threads, batch = settings.Batch,
                train_step_gflop = stepGflop, matmul_gflops = peak, engines = profiles }, RunJson.Options));
            return 0;
        }
        var keys = profiles.SelectMany(p => p.Kernels.Select(k => (k.Primitive, k.Pass))).Distinct()
            .OrderByDescending(k => profiles.Max(p => p.Kernels.FirstOrDefault(r => (r.Primitive, r.Pass) == k)?.MsPerStep ?? 0)).ToList();
        var table = new Table().Border(TableBorder.Simple).AddColumn("resnet20 train step, ms per step");
        foreach (var p in profiles) table.AddColumn(new TableColumn(Markup.Escape($"{p.Engine} (oneDNN {p.OneDnn})")).RightAligned());
        foreach (var (primitive, pass) in keys)
            table.AddRow([$"{primitive} {pass}", .. profiles.Select(p => p.Kernels.FirstOrDefault(r => (r.Primitive, r.Pass) == (primitive, pass)) is { } k
                ? $"{k.MsPerStep:F1} ({k.CallsPerStep:0.#} calls)" : "–")]);
        table.AddRow(["oneDNN kernels", .. profiles.Select(p => $"{p.KernelMs:F1}")]);
        table.AddRow(["other (BN, ReLU, add, casts, loss, SGD)", .. profiles.Select(p => $"{p.OtherMs:F1}")]);
        table.AddRow(["[bold]step (median)[/]", .. profiles.Select(p => $"[bold]{p.StepMs:F1}[/]")]);
        table.AddRow(["achieved GFLOP/s (step)", .. profiles.Select(p => $"{stepGflop / (p.StepMs / 1000):F0}")]);
        AnsiConsole.Write(table);
        foreach (var p in profiles)
            foreach (var k in p.Kernels.Where(k => k.Primitive == "convolution"))
                AnsiConsole.MarkupLine(Markup.Escape($"{p.Engine}: convolution {k.Pass} ran {k.Implementations}"));
        AnsiConsole.MarkupLine(Markup.Escape($"training step: {stepGflop:F1} GFLOP (3 × forward multiply-adds × 2 × batch {settings.Batch}); " +
            $"this CPU's {precision.Name()} matrix-multiply peak: {peak:F0} GFLOP/s ({threads} threads, 2048² matmul); " +
            $"{settings.Iters} profiled steps per engine after warm-up; CPU: {CpuFeatures.Describe()}"));
        return 0;
    }

    sealed class Status(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
