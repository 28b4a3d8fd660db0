using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Data.Analysis;
using ResNetLab.Data;
using ResNetLab.Models.Pretrained;
using ResNetLab.Paper;
using ResNetLab.Runtime;
using ResNetLab.Training;

namespace ResNetLab.Analysis;

/// <summary>One reference net measured here, beside what its file claims and what Table 6 reports for its depth.</summary>
/// <param name="Model">The architecture (resnet20 … resnet56).</param>
/// <param name="Depth">Its layers.</param>
/// <param name="Label">Legend label saying whose net it is.</param>
/// <param name="TestErrorPercent">Its test error measured here, on <paramref name="Images"/> test images of this data folder.</param>
/// <param name="Images">How many test images (the first of the set).</param>
/// <param name="Seconds">Time the evaluation took when it was measured.</param>
/// <param name="ClaimedTestErrorPercent">100 − the best_prec1 its file stores (official test set, best epoch chosen on it).</param>
/// <param name="PaperTestErrorPercent">Table 6's test error at this depth (official data, 64k iterations).</param>
/// <param name="Data">The data it was measured on, e.g. "mirror".</param>
public sealed record ReferenceResult(string Model, int Depth, string Label, double TestErrorPercent, int Images, double Seconds,
                                     double ClaimedTestErrorPercent, double? PaperTestErrorPercent, string Data);

/// <summary>
/// Table 6's ladder (deeper ResNets are better, Fig. 6 middle) from the fully trained reference nets, measured on this
/// data folder and kept in runs/reference-nets/ (keyed by file and test images), so a notebook measures each net once.
/// </summary>
public static class ReferenceLadder
{
    /// <summary>The folder under the runs folder that keeps the measurements.</summary>
    public const string CacheFolder = "reference-nets";

    /// <summary>
    /// Every reference net's test error on the first <paramref name="images"/> test images (null: all) of
    /// <paramref name="dataDir"/>, with its own normalisation; each file is verified first, and a measurement already
    /// kept in <paramref name="runsDir"/> for the same file and images is reused.
    /// </summary>
    public static IReadOnlyList<ReferenceResult> Measure(string dataDir, int? images, string runsDir, string? folder = null)
    {
        var data = CifarData.Load(dataDir);
        var n = Math.Min(images ?? data.TestCount, data.TestCount);
        var key = Convert.ToHexStringLower(SHA256.HashData([.. data.TestImages.AsSpan(0, n * CifarFormat.ImageBytes), .. data.TestLabels.AsSpan(0, n)]))[..12];
        return ReferenceNets.All.Select(net =>
        {
            ReferenceNets.Verified(net, folder);
            var path = Path.Combine(runsDir, CacheFolder, $"{Path.GetFileNameWithoutExtension(net.File)}-{n}img-{key}.json");
            if (TryRead(path) is { } kept) return kept;
            var watch = Stopwatch.StartNew();
            var (model, normalization) = TrainedNets.Reference(net, folder).Load();
            EvalResult result;
            using (model)
            using (var batches = ImageBatches.First(data, normalization, n))
                result = Evaluation.Evaluate(model, batches.Batches);
            var measured = new ReferenceResult(net.Model, net.Depth, net.Label, 100 * result.Error, result.Images, watch.Elapsed.TotalSeconds,
                100 - net.ClaimedAccuracyPercent, PaperNumbers.Table6.FirstOrDefault(t => t.Model == net.Model)?.TestErrorPercent, DataSource.Name(data.Source));
            AtomicFile.WriteText(path, JsonSerializer.Serialize(measured, RunJson.Options));
            return measured;
        }).ToList();
    }

    static ReferenceResult? TryRead(string path)
    {
        try { return File.Exists(path) ? JsonSerializer.Deserialize<ReferenceResult>(File.ReadAllText(path), RunJson.Options) : null; }
        catch (JsonException) { return null; }   // a damaged measurement is measured again
    }

    /// <summary>
    /// The ladder as a table: per depth Table 6's figure, the file's claim, the reference net measured here and the
    /// student's run of that net at this budget (— where there is none).
    /// </summary>
    public static DataFrame Table(IReadOnlyList<ReferenceResult> references, IReadOnlyList<FinalResult> student)
    {
        var depths = references.Select(r => r.Depth).Concat(student.Where(s => s.Residual).Select(s => s.Depth)).Distinct().Order().ToList();
        double Of<T>(IEnumerable<T> rows, Func<T, bool> at, Func<T, double?> value) => rows.Where(at).Select(value).FirstOrDefault() ?? double.NaN;
        return new DataFrame(
            new StringDataFrameColumn("ResNet", depths.Select(d => $"resnet{d}")),
            new DoubleDataFrameColumn("Table 6 test error (%)", depths.Select(d => Of(PaperNumbers.Table6, t => t.Depth == d, t => t.TestErrorPercent))),
            new DoubleDataFrameColumn("file's claim (%)", depths.Select(d => Of(references, r => r.Depth == d, r => Math.Round(r.ClaimedTestErrorPercent, 2)))),
            new DoubleDataFrameColumn("fully trained, measured here (%)", depths.Select(d => Of(references, r => r.Depth == d, r => Math.Round(r.TestErrorPercent, 2)))),
            new StringDataFrameColumn("test images here", depths.Select(d => references.FirstOrDefault(r => r.Depth == d)?.Images.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) ?? "—")),
            new DoubleDataFrameColumn("your run at this budget (%)", depths.Select(d => Of(student, s => s.Residual && s.Depth == d, s => Math.Round(s.TestErrorPercent, 2)))),
            new StringDataFrameColumn("your run", depths.Select(d => student.FirstOrDefault(s => s.Residual && s.Depth == d) is { } s ? $"{s.Iterations:N0} it, {s.EvalImages:N0} test images" : "—")));
    }

    /// <summary>
    /// The ladder as lines over depth: Table 6, the files' claims, the reference nets measured here and the student's
    /// runs — each labelled with whose numbers they are and on which data.
    /// </summary>
    public static IReadOnlyList<LineSeries> Lines(IReadOnlyList<ReferenceResult> references, IReadOnlyList<FinalResult> student, string dataLabel)
    {
        var mirror = references.Any(r => r.Data == DataSource.Name(DataSourceKind.Mirror));
        var lines = new List<LineSeries>
        {
            new("Table 6 (paper, official data, 64k iterations)", PaperNumbers.Table6.Select(t => (double)t.Depth).ToList(),
                PaperNumbers.Table6.Select(t => t.TestErrorPercent).ToList(), Dashed: true, ColorIndex: 7),
            new($"reference files' claim ({ReferenceNets.Publisher}, official data)", references.Select(r => (double)r.Depth).ToList(),
                references.Select(r => r.ClaimedTestErrorPercent).ToList(), Dashed: true, ColorIndex: 1),
            new($"fully trained ({ReferenceNets.Publisher}), measured here on {dataLabel}" + (mirror ? " — the mirror costs them ~10 points; the order is what carries over" : ""),
                references.Select(r => (double)r.Depth).ToList(), references.Select(r => r.TestErrorPercent).ToList(), ColorIndex: 1),
        };
        var yours = student.Where(s => s.Residual).OrderBy(s => s.Depth).ToList();
        if (yours.Count > 0)
            lines.Add(new($"your runs at this budget ({yours.Max(s => s.Iterations):N0} iterations)", yours.Select(s => (double)s.Depth).ToList(),
                yours.Select(s => s.TestErrorPercent).ToList(), ColorIndex: 0));
        return lines;
    }
}

/// <summary>Notebooks 02 and 05: the ladder of the fully trained nets against the student's runs at this budget.</summary>
/// <param name="References">The reference nets measured here, shallow to deep.</param>
/// <param name="DeeperIsBetter">Measured here, every deeper reference net has the lower test error (Table 6's order).</param>
/// <param name="DeepAheadByPoints">Test error of the shallowest reference net minus the deepest's, measured here (points; positive: the deeper is ahead).</param>
/// <param name="PaperAheadByPoints">The same difference in Table 6.</param>
/// <param name="MirrorCostPoints">Mean of (measured here − the file's claim): what this data costs the nets (about ten points on the lossy mirror).</param>
/// <param name="Shallow">The student's run of the shallowest reference depth, if trained here.</param>
/// <param name="Deep">The student's run of the deepest reference depth, if trained here.</param>
public sealed record LadderFacts(IReadOnlyList<ReferenceResult> References, bool DeeperIsBetter, double DeepAheadByPoints, double PaperAheadByPoints,
                                 double MirrorCostPoints, FinalResult? Shallow, FinalResult? Deep)
{
    /// <summary>The shallowest and deepest reference nets.</summary>
    public ReferenceResult ShallowReference => References[0];
    /// <inheritdoc cref="ShallowReference"/>
    public ReferenceResult DeepReference => References[^1];
    /// <summary>At this budget the student's deep ResNet has the higher test error than the shallow one (null without both runs).</summary>
    public bool? StudentDeepBehind => Shallow is null || Deep is null ? null : Deep.TestErrorPercent > Shallow.TestErrorPercent;
    /// <summary>By how many points the student's deep ResNet is behind (positive) or ahead (negative) of the shallow one.</summary>
    public double? StudentDeepBehindByPoints => Shallow is null || Deep is null ? null : Deep.TestErrorPercent - Shallow.TestErrorPercent;
}

public static partial class Findings
{
    /// <summary>Notebooks 02 and 05: does depth help the fully trained nets here, and where do the student's runs stand?</summary>
    public static LadderFacts Ladder(IReadOnlyList<ReferenceResult> references, IReadOnlyList<FinalResult> student)
    {
        if (references.Count < 2) throw new ArgumentException("the ladder needs at least two reference nets");
        var refs = references.OrderBy(r => r.Depth).ToList();
        var (shallow, deep) = (refs[0], refs[^1]);
        var paper = PaperNumbers.Table6.ToDictionary(t => t.Depth, t => t.TestErrorPercent);
        FinalResult? Yours(int depth) => student.Where(s => s.Residual && s.Depth == depth).MinBy(s => s.Seed);
        return new LadderFacts(refs, refs.Zip(refs.Skip(1)).All(p => p.Second.TestErrorPercent < p.First.TestErrorPercent),
            shallow.TestErrorPercent - deep.TestErrorPercent, paper[shallow.Depth] - paper[deep.Depth],
            refs.Average(r => r.TestErrorPercent - r.ClaimedTestErrorPercent), Yours(shallow.Depth), Yours(deep.Depth));
    }
}
