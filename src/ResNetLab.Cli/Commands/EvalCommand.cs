using System.ComponentModel;
using System.Text.Json;
using ResNetLab.Data;
using ResNetLab.Models;
using ResNetLab.Models.Interop;
using ResNetLab.Models.Pretrained;
using ResNetLab.Runtime;
using ResNetLab.Training;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;

namespace ResNetLab.Cli.Commands;

/// <summary>`resnet eval`: test accuracy of a run, a checkpoint, PyTorch weights or a reference net on the whole test set.</summary>
public sealed class EvalCommand : Command<EvalCommand.Settings>
{
    public sealed class Settings : TrainedRunSettings
    {
        [CommandOption("--pretrained <NAME>")]
        [Description("A fully trained reference net from data/pretrained (e.g. resnet56; `resnet models` marks them), with its own normalisation")]
        public string? Pretrained { get; init; }

        [CommandOption("--pytorch <FILE>")]
        [Description("A torch.save state_dict or checkpoint, or a .safetensors file (needs --model and --normalize)")]
        public string? PyTorch { get; init; }

        [CommandOption("--model <NAME>")]
        [Description("Architecture of --pytorch weights, e.g. resnet20")]
        public string? Model { get; init; }

        [CommandOption("--shortcut <OPTION>")]
        [Description("Shortcut option of --pytorch weights (default: A)")]
        public string? Shortcut { get; init; }

        [CommandOption("--normalize <KIND>")]
        [Description("paper (per-pixel mean of the training set), cifar or imagenet; default for runs: what training used")]
        public string? Normalize { get; init; }

        [CommandOption("--dataset <NAME>")]
        [Description("cifar10 or cifar100 (runs and checkpoints know theirs)")]
        public string? Dataset { get; init; }

        [CommandOption("--data <DIR>")]
        [Description("Dataset folder or its parent (default: RESNET_DATA, then data/)")]
        public string? Data { get; init; }

        [CommandOption("--device <DEVICE>")]
        [Description("cpu, cuda or auto (default auto: CUDA when visible)")]
        public string? Device { get; init; }

        [CommandOption("--threads <N>")]
        [Description("CPU threads for libtorch (default: all cores)")]
        public int? Threads { get; init; }

        [CommandOption("--json")]
        [Description("Print {accuracy, error, images, …} as JSON")]
        public bool Json { get; init; }
    }

    public sealed record EvalReport(double Accuracy, double Error, int Images, double Loss, string Model, string Weights,
                                    string Normalization, string Dataset, string DataSource, string DataLabel, double Seconds)
    {
        /// <summary>For a reference net: the accuracy its file claims (%, official test set); null otherwise.</summary>
        public double? ClaimedAccuracyPercent { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var sources = new[] { settings.Run, settings.Checkpoint, settings.PyTorch, settings.Pretrained }.Count(s => s is not null);
        if (sources != 1) throw new ArgumentException("give exactly one of --run DIR, --checkpoint FILE, --pytorch FILE --model NAME, --pretrained NAME");
        var reference = settings.Pretrained is { } name ? CliParse.Flag("--pretrained", () => ReferenceNets.Get(name)) : null;
        if (reference is not null && new[] { settings.Model, settings.Shortcut, settings.Normalize, settings.Dataset }.Any(s => s is not null))
            throw new ArgumentException($"--pretrained {reference.Model} is a CIFAR-10 net with option A shortcuts and its own normalisation " +
                                        $"({reference.Normalization.ToString().ToLowerInvariant()}): drop --model, --shortcut, --normalize and --dataset");
        var device = CliParse.Flag("--device", () => TorchRuntime.ParseDevice(settings.Device));
        TorchRuntime.Initialize(device, settings.Threads);
        var dev = TorchRuntime.Device;

        string weights;
        RunConfig? config = null;
        Normalization? trained = null;
        if (reference is not null)
        {
            weights = ReferenceNets.Verified(reference);
            trained = reference.InputNormalization;
        }
        else if (settings.PyTorch is null)
        {
            var path = settings.Checkpoint ?? Path.Combine(RunFolder(settings.Run!, settings.Runs), Training.Runs.CheckpointFile);
            var state = Training.Checkpoint.ReadState(path);
            (config, trained, weights) = (state.Config, state.Normalization, path);
        }
        else
        {
            if (settings.Model is null) throw new ArgumentException("--pytorch needs --model NAME (the architecture the weights belong to)");
            if (settings.Normalize is null)
                throw new ArgumentException("--pytorch needs --normalize (what the weights were trained with: cifar, imagenet or paper)");
            weights = settings.PyTorch;
        }

        var format = CliParse.Flag("--dataset", () => CifarFormat.Parse(settings.Dataset ?? config?.Dataset ?? "cifar10"));
        var data = CifarData.Load(DataLocation.Resolve(settings.Data, format, out _), format);
        var normalization = settings.Normalize is { } kind
            ? Normalization.For(CliParse.Flag("--normalize", () => Normalization.ParseKind(kind)), data.TrainImages)
            : trained!;

        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var model = reference is not null ? ReferenceNets.Load(reference)
            : config is not null ? ModelZoo.Create(config.Model, config.Shortcut, format.Classes)
            : ModelZoo.Create(settings.Model!, CliParse.Shortcut(settings.Shortcut), format.Classes);
        if (config is not null) Training.Checkpoint.Load(weights, model, optimizer: null);
        else if (reference is null) model.LoadPyTorch(weights);
        model.to(dev);

        var result = TestSet.Evaluate(model, data, normalization, dev);
        var report = new EvalReport(result.Accuracy, result.Error, result.Images, result.Loss, model.Name, Path.GetFullPath(weights),
            normalization.Kind.ToString().ToLowerInvariant(), format.DisplayName, DataSource.Name(data.Source), DataSource.Label(data.Source, format),
            Math.Round(watch.Elapsed.TotalSeconds, 1)) { ClaimedAccuracyPercent = reference?.ClaimedAccuracyPercent };
        if (settings.Json)
            Console.WriteLine(JsonSerializer.Serialize(report, RunJson.Options));
        else
            AnsiConsole.MarkupLine(Markup.Escape(
                $"{report.Model}: test accuracy {report.Accuracy:P2} (error {report.Error:P2}, loss {report.Loss:F4}) on {report.Images:N0} images " +
                $"of {report.DataLabel}; normalisation {report.Normalization}; weights {report.Weights}; {report.Seconds:0.0} s" +
                (reference is null ? "" : $". The file claims {reference.ClaimedAccuracyPercent:0.00}% on the official test set" +
                    (data.Source == DataSourceKind.Mirror ? " (the lossy mirror costs nets trained on the official images about ten points)" : ""))));
        return 0;
    }

    internal static string RunFolder(string run, string? runsDir) =>
        Directory.Exists(run) ? run : Training.Runs.Folder(run, runsDir) is var named && Directory.Exists(named) ? named
            : throw new DirectoryNotFoundException($"no run folder {run} (nor {Training.Runs.Folder(run, runsDir)}); list runs with `ls runs/`");
}
