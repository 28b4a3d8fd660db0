using System.ComponentModel;
using System.Globalization;
using ResNetLab.Models;
using ResNetLab.Models.Interop;
using ResNetLab.Runtime;
using ResNetLab.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ResNetLab.Cli.Commands;

/// <summary>
/// `resnet export`: a trained run's weights (BN running statistics included) as safetensors or a torch.save zip, with
/// PyTorch's key names, so the reference model definitions load them (`model.load_state_dict(…)`).
/// </summary>
public sealed class ExportCommand : Command<ExportCommand.Settings>
{
    public sealed class Settings : TrainedRunSettings
    {
        [CommandOption("--format <FORMAT>")]
        [Description("safetensors or pytorch (torch.save zip); default from --out's extension (.safetensors, else pytorch)")]
        public string? Format { get; init; }

        [CommandOption("--out <FILE>")]
        [Description("The file to write (replaced atomically)")]
        public string? Out { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        if ((settings.Run is null) == (settings.Checkpoint is null)) throw new ArgumentException("give exactly one of --run DIR and --checkpoint FILE");
        if (string.IsNullOrWhiteSpace(settings.Out)) throw new ArgumentException("--out FILE is required, e.g. --out resnet20.safetensors");
        var format = (settings.Format ?? (settings.Out.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) ? "safetensors" : "pytorch")).ToLowerInvariant();
        if (format is not ("safetensors" or "pytorch")) throw new ArgumentException($"--format '{settings.Format}' is not one of: safetensors, pytorch");
        TorchRuntime.Initialize(DeviceChoice.Cpu);

        var path = settings.Checkpoint ?? Path.Combine(EvalCommand.RunFolder(settings.Run!, settings.Runs), Training.Runs.CheckpointFile);
        var state = Training.Checkpoint.ReadState(path);
        using var model = Experiment.CreateModel(state.Config);
        Training.Checkpoint.Load(path, model, optimizer: null);

        var output = Path.GetFullPath(settings.Out);
        if (format == "safetensors")
        {
            model.SaveSafeTensors(output, new Dictionary<string, string>
            {
                ["format"] = "pt",   // what safetensors' own torch helpers write
                ["model"] = model.Name,
                ["shortcut"] = model.Shortcut?.ToString() ?? "none",
                ["classes"] = model.NumClasses.ToString(CultureInfo.InvariantCulture),
                ["dataset"] = state.Config.Dataset,
                ["normalization"] = state.Normalization.Kind.ToString().ToLowerInvariant(),
                ["run"] = state.Config.RunName,
                ["iteration"] = state.Iteration.ToString(CultureInfo.InvariantCulture),
            });
        }
        else model.SavePyTorch(output);
        AnsiConsole.MarkupLine(Markup.Escape($"{state.Config.RunName} (iteration {state.Iteration:N0}) → {output} ({format}, " +
                                             $"{model.state_dict().Count} tensors, PyTorch key names; normalisation {state.Normalization.Kind.ToString().ToLowerInvariant()})"));
        return 0;
    }
}

/// <summary>The trained weights a command reads: a run folder (or name) or a checkpoint file — `eval` and `export` share them.</summary>
public abstract class TrainedRunSettings : CommandSettings
{
    [CommandOption("--run <DIR>")]
    [Description("A run folder (runs/NAME) or a run name under --runs")]
    public string? Run { get; init; }

    [CommandOption("--checkpoint <FILE>")]
    [Description("A checkpoint.bin written by `resnet train`")]
    public string? Checkpoint { get; init; }

    [CommandOption("--runs <DIR>")]
    [Description("Runs folder where --run names are looked up (default: RESNET_RUNS, then runs/)")]
    public string? Runs { get; init; }
}
