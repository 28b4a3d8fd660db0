using System.ComponentModel;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ResNetLab.Analysis;
using ResNetLab.Sweeps;
using ResNetLab.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ResNetLab.Cli.Commands;

/// <summary>`resnet results`: Table 6 from a sweep's records — per model mean ± std, best and n over seeds, beside the paper.</summary>
public sealed class ResultsCommand : Command<ResultsCommand.Settings>
{
    public sealed class Settings : SweepSelectionSettings
    {
        [CommandOption("--json")]
        [Description("Print the table as JSON (per model: n, seeds, mean, std, best, the paper's figure)")]
        public bool Json { get; init; }

        [CommandOption("--csv")]
        [Description("Print the table as CSV")]
        public bool Csv { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        if (settings.Json && settings.Csv) throw new ArgumentException("give one of --json or --csv");
        var request = settings.Request();
        var results = SweepResults.Load(request.Runs(), settings.RunsDir());
        if (results.Finished.Count == 0)
            throw new InvalidOperationException($"no finished run of {request.Label} in {settings.RunsDir()} ({results.Missing.Count} missing); " +
                                                "train them with `resnet sweep` and the same arguments");
        if (results.Missing.Count > 0)
            Console.Error.WriteLine($"results: {results.Missing.Count} run(s) not finished yet, left out: {string.Join(", ", results.Missing)}");
        var table = results.Table;
        static double? Finite(double v) => double.IsFinite(v) ? Math.Round(v, 4) : null;
        if (settings.Json)
        {
            var json = new
            {
                sweep = request.Label, budget = request.Budget.Key, runs_dir = settings.RunsDir(),
                finished = results.Finished.Count, missing = results.Missing,
                models = table.Select(s => new
                {
                    label = s.Label, model = s.Model, shortcut = s.Shortcut?.ToString(), n = s.N, seeds = s.Seeds,
                    mean = Finite(s.MeanPercent), std = Finite(s.StdPercent), best = Finite(s.BestPercent),
                    train_mean = Finite(s.TrainMeanPercent), train_std = Finite(s.TrainStdPercent), wall_seconds = Finite(s.MeanWallSeconds),
                    test_errors = s.TestErrorsPercent.Select(e => Math.Round(e, 4)), iterations = s.Iterations, test_images = s.EvalImages,
                    paper = s.PaperPercent, paper_mean = s.PaperMeanPercent, paper_std = s.PaperStdPercent,
                }),
            };
            Console.WriteLine(JsonSerializer.Serialize(json, RunJson.Options));
            return 0;
        }
        if (settings.Csv)
        {
            var csv = new StringBuilder("model,shortcut,n,mean_test_error,std_test_error,best_test_error,iterations,test_images,paper_test_error,paper_mean,paper_std,mean_train_error,std_train_error,mean_wall_s\n");
            string F(double? v) => v is { } x && double.IsFinite(x) ? x.ToString("R", CultureInfo.InvariantCulture) : "";
            foreach (var s in table)
                csv.Append(CultureInfo.InvariantCulture,
                    $"{s.Model},{s.Shortcut},{s.N},{F(s.MeanPercent)},{F(s.StdPercent)},{F(s.BestPercent)},{s.Iterations},{s.EvalImages},{F(s.PaperPercent)},{F(s.PaperMeanPercent)},{F(s.PaperStdPercent)},{F(s.TrainMeanPercent)},{F(s.TrainStdPercent)},{F(s.MeanWallSeconds)}\n");
            Console.Write(csv);
            return 0;
        }
        static string MeanStd(double mean, double std) =>
            mean.ToString("0.00", CultureInfo.InvariantCulture) + (double.IsFinite(std) ? $" ± {std.ToString("0.00", CultureInfo.InvariantCulture)}" : "");
        var t = new Table().Border(TableBorder.Simple).AddColumns("model", "n", "test error (%) mean ± std", "train error (%) mean ± std", "best", "iterations", "test images", "time per run", "paper (Table 6)");
        foreach (var s in table)
            t.AddRow(Markup.Escape(s.Label), s.N.ToString(CultureInfo.InvariantCulture),
                     MeanStd(s.MeanPercent, s.StdPercent), MeanStd(s.TrainMeanPercent, s.TrainStdPercent),
                     s.BestPercent.ToString("0.00", CultureInfo.InvariantCulture), s.Iterations.ToString("N0", CultureInfo.InvariantCulture),
                     s.EvalImages.ToString("N0", CultureInfo.InvariantCulture), CliParse.Duration(TimeSpan.FromSeconds(s.MeanWallSeconds)), Markup.Escape(s.PaperText));
        AnsiConsole.Write(t);
        AnsiConsole.MarkupLine(Markup.Escape($"{request.Label}: {results.Finished.Count} finished runs; the paper's column is its full 64k-iteration schedule on all 10,000 test images"));
        return 0;
    }
}
