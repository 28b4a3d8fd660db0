using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Analysis;
using ResNetLab.Runtime;

namespace ResNetLab.Training;

/// <summary>
/// The file formats of a run folder (run.json, metrics.csv) and the listing of runs/. Reading is open to all; writing goes
/// through <see cref="RunFolder"/>, the one owner of a run's files.
/// </summary>
public static class Runs
{
    /// <summary>A run's record file name.</summary>
    public const string RecordFile = "run.json";
    /// <summary>A run's metrics file name.</summary>
    public const string MetricsFile = "metrics.csv";
    /// <summary>A run's checkpoint file name.</summary>
    public const string CheckpointFile = "checkpoint.bin";
    /// <summary>The header of metrics.csv, the column names notebooks and reports use.</summary>
    public const string MetricsHeader = "iteration,lr,train_loss,train_error,test_loss,test_error,images_per_s,elapsed_s";

    /// <summary>runs/&lt;name&gt; under <paramref name="runsDir"/> (default <see cref="RepoPaths.RunsDir"/>).</summary>
    public static string Folder(string name, string? runsDir = null) => Path.Combine(runsDir ?? RepoPaths.RunsDir, name);

    /// <summary>The record in <paramref name="runDir"/>, or null when it has none; a damaged one is an error.</summary>
    public static RunRecord? TryLoad(string runDir)
    {
        var path = Path.Combine(runDir, RecordFile);
        return File.Exists(path) ? Load(runDir) : null;
    }

    /// <summary>The record in <paramref name="runDir"/>; a missing or damaged one is an error naming the file.</summary>
    public static RunRecord Load(string runDir)
    {
        var path = Path.Combine(runDir, RecordFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} does not exist: not a run folder (train one with `resnet train`)", path);
        try
        {
            return JsonSerializer.Deserialize<RunRecord>(File.ReadAllText(path), RunJson.Options)
                   ?? throw InputFile.Invalid(path, "is empty");
        }
        catch (Exception e) when (e is JsonException or ArgumentException or FormatException or OverflowException or NotSupportedException)
        {
            throw InputFile.Invalid(path, $"not a valid run record ({e.Message}); delete the folder or force a retrain", e);
        }
    }

    /// <summary>Every run folder under <paramref name="runsDir"/> with its record, newest first.</summary>
    public static IReadOnlyList<(string Folder, RunRecord Record)> List(string? runsDir = null)
    {
        var root = runsDir ?? RepoPaths.RunsDir;
        if (!Directory.Exists(root)) return [];
        return Directory.EnumerateDirectories(root)
            .Select(d => (Folder: d, Record: TryLoadQuietly(d)))
            .Where(r => r.Record is not null)
            .Select(r => (r.Folder, r.Record!))
            .OrderByDescending(r => r.Item2.StartedUtc)
            .ToList();
    }

    static RunRecord? TryLoadQuietly(string dir)
    {
        try { return TryLoad(dir); }
        catch (InvalidDataException) { return null; }
    }

    internal static void Save(string runDir, RunRecord record) =>
        WriteAtomically(Path.Combine(runDir, RecordFile), JsonSerializer.Serialize(record, RunJson.Options) + "\n", "the run record");

    internal static void WriteMetrics(string runDir, IEnumerable<MetricsRow> rows)
    {
        var text = new StringBuilder(MetricsHeader).Append('\n');
        foreach (var r in rows)
            text.Append(string.Join(",", new[]
            {
                r.Iteration.ToString(CultureInfo.InvariantCulture), G(r.LearningRate), G(r.TrainLoss), G(r.TrainError),
                G(r.TestLoss), G(r.TestError), G(r.ImagesPerSecond), G(r.ElapsedSeconds),
            })).Append('\n');
        WriteAtomically(Path.Combine(runDir, MetricsFile), text.ToString(), "the metrics");
    }

    static string G(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The rows of <paramref name="runDir"/>'s metrics.csv; a missing file (no evaluation yet) or a wrong header is an error.</summary>
    public static IReadOnlyList<MetricsRow> ReadMetrics(string runDir)
    {
        var path = Path.Combine(runDir, MetricsFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} does not exist (the run has not reached its first evaluation)", path);
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0] != MetricsHeader)
            throw InputFile.Invalid(path, $"header is not '{MetricsHeader}'");
        return lines.Skip(1).Where(l => l.Length > 0).Select((l, i) =>
        {
            var f = l.Split(',');
            if (f.Length != 8) throw InputFile.Invalid(path, $"line {i + 2} has {f.Length} fields, expected 8");
            double D(int k) => double.TryParse(f[k], CultureInfo.InvariantCulture, out var v) ? v
                : throw InputFile.Invalid(path, $"line {i + 2}: '{f[k]}' is not a number");
            return new MetricsRow(int.TryParse(f[0], CultureInfo.InvariantCulture, out var it) ? it
                : throw InputFile.Invalid(path, $"line {i + 2}: iteration '{f[0]}' is not an integer"), D(1), D(2), D(3), D(4), D(5), D(6), D(7));
        }).ToList();
    }

    /// <summary>metrics.csv as a DataFrame: iteration (int), lr, train_loss, train_error, test_loss, test_error, images_per_s, elapsed_s.</summary>
    public static DataFrame Metrics(string runDir) => ToDataFrame(ReadMetrics(runDir));

    /// <summary>Metrics rows as a DataFrame with metrics.csv's column names.</summary>
    public static DataFrame ToDataFrame(IReadOnlyList<MetricsRow> rows) => new(
        new Int32DataFrameColumn("iteration", rows.Select(r => r.Iteration)),
        new DoubleDataFrameColumn("lr", rows.Select(r => r.LearningRate)),
        new DoubleDataFrameColumn("train_loss", rows.Select(r => r.TrainLoss)),
        new DoubleDataFrameColumn("train_error", rows.Select(r => r.TrainError)),
        new DoubleDataFrameColumn("test_loss", rows.Select(r => r.TestLoss)),
        new DoubleDataFrameColumn("test_error", rows.Select(r => r.TestError)),
        new DoubleDataFrameColumn("images_per_s", rows.Select(r => r.ImagesPerSecond)),
        new DoubleDataFrameColumn("elapsed_s", rows.Select(r => r.ElapsedSeconds)));

    /// <summary>Write to a temporary file beside <paramref name="path"/>, then rename over it: readers never see half a file.</summary>
    public static void WriteAtomically(string path, string text, string? what = null) => AtomicFile.WriteText(path, text, what);

    /// <inheritdoc cref="AtomicFile.Write"/>
    public static void WriteAtomically(string path, Action<Stream> write, string? what = null) => AtomicFile.Write(path, write, what);
}
