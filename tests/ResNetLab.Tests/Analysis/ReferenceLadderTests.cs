using System.Text.Json;
using ResNetLab.Analysis;
using ResNetLab.Data;
using ResNetLab.Models;
using ResNetLab.Models.Pretrained;
using ResNetLab.Paper;

namespace ResNetLab.Tests.Analysis;

/// <summary>Table 6's ladder from the fully trained reference nets (notebooks 02 and 05), and its facts.</summary>
public class ReferenceLadderTests
{
    [Fact]
    public void The_ladder_measures_each_reference_net_as_PyTorch_does_and_keeps_the_measurement()
    {
        Tests.Models.Torch.Up();
        const int images = 100;
        var expected = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("reference_nets_expected.json"))).RootElement.GetProperty("nets");
        var data = CifarData.Load(TestPaths.Cifar10);
        var runs = TestPaths.TempDir("ladder");
        try
        {
            var ladder = ReferenceLadder.Measure(data.Directory, images, runs);
            Assert.Equal(ReferenceNets.All.Select(n => n.Model), ladder.Select(r => r.Model));
            foreach (var r in ladder)
            {
                // PyTorch's predictions on the same first images (the fixture holds 500)
                var predictions = expected.GetProperty(r.Model).GetProperty("predictions").EnumerateArray().Take(images).Select(p => p.GetInt32()).ToArray();
                var wrong = predictions.Where((p, i) => p != data.TestLabels[i]).Count();
                Assert.Equal(100.0 * wrong / images, r.TestErrorPercent, 9);
                Assert.Equal(images, r.Images);
                Assert.Equal(100 - ReferenceNets.Get(r.Model).ClaimedAccuracyPercent, r.ClaimedTestErrorPercent, 9);
                Assert.Equal(PaperNumbers.Table6.Single(t => t.Model == r.Model).TestErrorPercent, r.PaperTestErrorPercent);
            }
            // kept: a second call reads the measurements (same seconds), a damaged one is measured again
            var kept = Directory.GetFiles(Path.Combine(runs, ReferenceLadder.CacheFolder), "*.json");
            Assert.Equal(4, kept.Length);
            Assert.Equal(ladder, ReferenceLadder.Measure(data.Directory, images, runs));
            File.WriteAllText(kept[0], "{ not json");
            var again = ReferenceLadder.Measure(data.Directory, images, runs);
            Assert.Equal(ladder.Select(r => r.TestErrorPercent), again.Select(r => r.TestErrorPercent));
            Assert.Equal(4, ReferenceLadder.Measure(data.Directory, 50, runs).Count);   // other images: measured apart
            Assert.Equal(8, Directory.GetFiles(Path.Combine(runs, ReferenceLadder.CacheFolder), "*.json").Length);
        }
        finally { Directory.Delete(runs, true); }
    }

    static ReferenceResult Reference(int depth, double error, double claimed) =>
        new($"resnet{depth}", depth, $"resnet{depth} · fully trained", error, 10_000, 1, claimed, PaperNumbers.Table6.Single(t => t.Depth == depth).TestErrorPercent, "mirror");

    static FinalResult Yours(int depth, double test) =>
        new($"resnet{depth}", $"resnet{depth}", depth, true, ShortcutOption.A, BlockKind.Basic, 800, test - 1, test, 2_000, 0, 0);

    [Fact]
    public void The_facts_say_whether_depth_helps_when_trained_and_where_the_students_runs_stand()
    {
        var refs = new[] { Reference(56, 16.8, 6.38), Reference(20, 18.97, 8.22), Reference(32, 17.44, 7.22), Reference(44, 17.33, 6.86) };
        var saw = Findings.Ladder(refs, [Yours(20, 30.0), Yours(56, 41.5)]);
        Assert.Equal([20, 32, 44, 56], saw.References.Select(r => r.Depth));
        Assert.True(saw.DeeperIsBetter);
        Assert.Equal(18.97 - 16.8, saw.DeepAheadByPoints, 9);
        Assert.Equal(8.75 - 6.97, saw.PaperAheadByPoints, 9);
        Assert.Equal(new[] { 18.97 - 8.22, 17.44 - 7.22, 17.33 - 6.86, 16.8 - 6.38 }.Average(), saw.MirrorCostPoints, 9);
        Assert.True(saw.StudentDeepBehind);
        Assert.Equal(11.5, saw.StudentDeepBehindByPoints!.Value, 9);

        var ahead = Findings.Ladder(refs, [Yours(20, 30.0), Yours(56, 28.0)]);
        Assert.False(ahead.StudentDeepBehind);
        var none = Findings.Ladder(refs, [Yours(110, 30.0)]);
        Assert.Null(none.StudentDeepBehind);
        var disordered = Findings.Ladder([Reference(20, 18.0, 8.22), Reference(32, 18.5, 7.22)], []);
        Assert.False(disordered.DeeperIsBetter);
        Assert.True(disordered.DeepAheadByPoints < 0);
        Assert.Throws<ArgumentException>(() => Findings.Ladder([Reference(20, 18, 8)], []));
    }

    [Fact]
    public void The_table_and_lines_put_paper_claim_measurement_and_student_side_by_side_and_say_whose()
    {
        var refs = new[] { Reference(20, 18.97, 8.22), Reference(56, 16.8, 6.38) };
        var table = ReferenceLadder.Table(refs, [Yours(56, 41.5), Yours(110, 50)]);
        Assert.Equal(["resnet20", "resnet56", "resnet110"], Enumerable.Range(0, 3).Select(i => (string)table["ResNet"][i]));
        Assert.Equal(6.43, (double)table["Table 6 test error (%)"][2]!);
        Assert.Equal(16.8, (double)table["fully trained, measured here (%)"][1]!);
        Assert.True(double.IsNaN((double)table["your run at this budget (%)"][0]!));
        Assert.Equal(41.5, (double)table["your run at this budget (%)"][1]!);
        var lines = ReferenceLadder.Lines(refs, [Yours(56, 41.5)], "CIFAR-10 lossy mirror");
        Assert.Contains(lines, l => l.Label.Contains("Table 6") && l.Y.SequenceEqual(PaperNumbers.Table6.Select(t => t.TestErrorPercent)));
        Assert.Contains(lines, l => l.Label.Contains("measured here") && l.Label.Contains("~10 points") && l.Y.SequenceEqual([18.97, 16.8]));
        Assert.Contains(lines, l => l.Label.StartsWith("your runs") && l.Y.SequenceEqual([41.5]));
    }
}
