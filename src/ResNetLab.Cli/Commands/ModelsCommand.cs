using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ResNetLab.Models;
using ResNetLab.Models.Pretrained;
using ResNetLab.Runtime;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ResNetLab.Cli.Commands;

/// <summary>
/// `resnet models`: every registered architecture with parameters and multiply-adds, measured from the module, and a
/// mark where fully trained reference weights exist (`resnet eval --pretrained NAME`).
/// </summary>
public sealed class ModelsCommand : Command<ModelsCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "[PATTERN]")]
        [Description("Glob over model names, e.g. 'resnet*' (default: all)")]
        public string Pattern { get; init; } = "*";

        [CommandOption("--shortcut <OPTION>")]
        [Description("Shortcut option for residual nets: A, B or C (default: A for CIFAR, B for ImageNet)")]
        public string? Shortcut { get; init; }

        [CommandOption("--json")]
        [Description("Print the list as JSON")]
        public bool Json { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        ShortcutOption? shortcut = settings.Shortcut is null ? null
            : Enum.TryParse<ShortcutOption>(settings.Shortcut, ignoreCase: true, out var o) ? o
            : throw new ArgumentException($"--shortcut '{settings.Shortcut}' is not one of: A, B, C");
        if (ModelZoo.Names(settings.Pattern).Count == 0)
            throw new ArgumentException($"no model matches '{settings.Pattern}'; registered: {string.Join(", ", ModelZoo.Names())}");
        TorchRuntime.Initialize(DeviceChoice.Cpu);

        if (settings.Json)
        {
            var options = new JsonSerializerOptions { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };
            var rows = new JsonArray([.. ModelZoo.List(settings.Pattern, shortcut).Select(info =>
            {
                var row = JsonSerializer.SerializeToNode(info, options)!.AsObject();
                row["ReferenceWeights"] = ReferenceNets.Find(info.Name, info.Shortcut)?.File;   // null: no fully trained weights
                return (JsonNode)row;
            })]);
            Console.WriteLine(rows.ToJsonString(options));
            return 0;
        }
        // Measuring traces one forward pass per model (the ImageNet ones at 224²): show progress while it runs.
        var measured = new List<ModelInfo>();
        AnsiConsole.Status().Start("measuring", status =>
        {
            foreach (var name in ModelZoo.Names(settings.Pattern))
            {
                status.Status($"measuring {name}");
                measured.Add(ModelZoo.List(name, shortcut).Single());
            }
        });
        // Fits 80 columns; multiply-adds at the paper's input size (32² CIFAR, 224² ImageNet).
        var table = new Table().Border(TableBorder.Simple)
            .AddColumns("model", "family", "depth", "block", "shortcut", "parameters", "mult-adds", "ref");
        foreach (var c in table.Columns) c.Padding(new Padding(0, 0, 1, 0));
        foreach (var c in table.Columns.Skip(2)) c.RightAligned();
        foreach (var r in measured)
            table.AddRow(r.Name, r.Family.ToString(), r.Depth.ToString(), r.Block.ToString().ToLowerInvariant(),
                         r.Shortcut?.ToString() ?? "plain", $"{r.Parameters:N0}", $"{r.MultiplyAdds / 1e9:0.000}×10⁹",
                         ReferenceNets.Find(r.Name, r.Shortcut) is null ? "" : "✓");
        AnsiConsole.Write(table);
        if (measured.Any(r => ReferenceNets.Find(r.Name, r.Shortcut) is not null))
            Console.WriteLine($"ref ✓: fully trained reference weights ({ReferenceNets.Publisher}, BSD 2-Clause) in data/pretrained — " +
                              "`resnet eval --pretrained NAME`; in a notebook lab.Pretrained(\"NAME\")");
        return 0;
    }
}
