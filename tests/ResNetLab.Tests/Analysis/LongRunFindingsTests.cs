using ResNetLab.Analysis;
using ResNetLab.Training;

namespace ResNetLab.Tests.Analysis;

/// <summary>
/// Notebook 02's verdicts from this project's committed long runs: real records (copied from notebooks/reference-runs,
/// so the test does not move when a new record lands), shallow against deep at the longest schedule both depths have.
/// </summary>
public class LongRunFindingsTests
{
    static readonly string[] Committed =
    [
        "plain20-cifar10-12800it-s0", "plain20-cifar10-3200it-s1", "plain20-cifar10-3200it-bf16-s0", "plain56-cifar10-3200it-s0",
        "resnet20-A-cifar10-3200it-s0", "resnet20-A-cifar10-3200it-bf16-s0", "resnet56-A-cifar10-3200it-s0", "resnet56-A-cifar10-3200it-zeroinit-s1",
    ];

    static string CopyRecords(IEnumerable<string> names)
    {
        var folder = TestPaths.TempDir("long-runs");
        foreach (var name in names)
        {
            var from = Path.Combine(TestPaths.Root, "notebooks", ReferenceRuns.FolderName, name);
            var to = Directory.CreateDirectory(Path.Combine(folder, name)).FullName;
            foreach (var file in new[] { Runs.RecordFile, Runs.MetricsFile }) File.Copy(Path.Combine(from, file), Path.Combine(to, file));
        }
        return folder;
    }

    [Fact]
    public void Each_kind_is_compared_at_the_longest_schedule_both_depths_were_trained_to()
    {
        var folder = CopyRecords(Committed);
        try
        {
            var facts = Findings.LongRuns(ReferenceRuns.Load(folder), ["plain20", "plain56"], ["resnet20", "resnet56"]);
            Assert.Equal(["plain", "ResNet"], facts.Select(f => f.Kind));

            var plain = facts[0];
            Assert.Equal(3_200, plain.Iterations);                   // plain-20 also ran 12,800, plain-56 not yet
            Assert.Equal("12,800 it: plain20", plain.LongerUnpaired);
            Assert.Equal(("plain20", 1L), (plain.Shallow.Model, plain.Shallow.Seed));   // fp32 seed 1 before bf16 seed 0
            Assert.Equal("plain56", plain.Deep.Model);
            Assert.Equal("plain20 · 3,200 it · this project (seed 1, 2-thread cpu, lossy mirror)", plain.Shallow.Label);   // honest about which run
            Assert.False(plain.DeepAhead);                            // the degradation problem, in this project's records
            Assert.Equal(64.36 - 24.47, plain.DeepMinusShallowPoints, 1);
            Assert.Equal(plain.Deep.TrainErrorPercent - plain.Shallow.TrainErrorPercent, plain.DeepMinusShallowPoints, 9);
            Assert.True(plain.SharedPoints >= 4, $"{plain.SharedPoints} shared evaluations");
            Assert.Equal(plain.SharedPoints, plain.DeepBehindAt);      // behind at every evaluation
            Assert.Null(plain.DeepAheadFrom);

            var resnet = facts[1];
            Assert.Equal(3_200, resnet.Iterations);
            Assert.Equal("none", resnet.LongerUnpaired);
            Assert.Equal(("resnet20", 0L, false), (resnet.Shallow.Model, resnet.Shallow.Seed, resnet.Shallow.ZeroInitResidual));
            Assert.Equal(("resnet56", 0L, false), (resnet.Deep.Model, resnet.Deep.Seed, resnet.Deep.ZeroInitResidual));   // the zero-init s1 is another recipe
            Assert.False(resnet.DeepAhead);                           // 3,200 iterations: ResNet-56 still starts slow (28.7 vs 20.3 %)
            Assert.InRange(resnet.DeepMinusShallowPoints, 8, 9);
            Assert.Null(resnet.DeepAheadFrom);                        // not ahead at the end, so depth has not started to pay
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void Over_12800_iterations_depth_pays_for_the_ResNets_and_not_for_the_plain_nets()
    {
        // The four long reference curves (docs/results.md): Fig. 6's answer in this project's own records
        var folder = CopyRecords([.. Committed, "plain56-cifar10-12800it-s0",
            "resnet20-A-cifar10-12800it-s0", "resnet56-A-cifar10-12800it-s0"]);
        try
        {
            var facts = Findings.LongRuns(ReferenceRuns.Load(folder), ["plain20", "plain56"], ["resnet20", "resnet56"]);
            Assert.All(facts, f => Assert.Equal((12_800, "none"), (f.Iterations, f.LongerUnpaired)));

            var plain = facts.Single(f => f.Kind == "plain");
            Assert.False(plain.DeepAhead);                            // degradation over the long schedule too
            Assert.Equal(16, plain.SharedPoints);                     // every 800 iterations
            Assert.Equal(plain.SharedPoints, plain.DeepBehindAt);     // plain-56 behind plain-20 at every evaluation
            Assert.Null(plain.DeepAheadFrom);

            var resnet = facts.Single(f => f.Kind == "ResNet");
            Assert.True(resnet.DeepAhead);
            Assert.Equal(7.86 - 9.63, resnet.DeepMinusShallowPoints, 1);
            Assert.Equal(6_400, resnet.DeepAheadFrom);               // from the first learning-rate drop on
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void Ahead_from_is_where_the_deep_net_overtakes_for_good()
    {
        static ErrorCurve Curve(string label, params double[] train) =>
            new(label, [.. train.Select((_, i) => 800.0 * (i + 1))], train, [.. train]);
        var shallow = Curve("shallow", 50, 40, 30, 25, 20, 18);
        Assert.Equal(1_600, Findings.AheadFrom(shallow, Curve("deep", 55, 39, 29, 24, 19, 17)));   // behind at 800, then ahead
        Assert.Equal(4_000, Findings.AheadFrom(shallow, Curve("deep", 49, 41, 29, 25, 19, 17)));   // ahead, behind, ahead, a tie: from 4,000
        Assert.Null(Findings.AheadFrom(shallow, Curve("deep", 49, 39, 29, 24, 19, 18)));            // a tie at the end is not ahead
        Assert.Equal(800, Findings.AheadFrom(shallow, Curve("deep", 49, 39, 29, 24, 19, 17)));
        var shorter = new ErrorCurve("deep", [1_600, 3_200], [41, 24], [41, 24]);                    // only shared points count
        Assert.Equal(3_200, Findings.AheadFrom(shallow, shorter));
        Assert.Null(Findings.AheadFrom(shallow, new ErrorCurve("deep", [100], [1], [1])));

        // Real records: this project's zero-init ResNet-56 (seed 0, bf16) is ahead of ResNet-20 from the first evaluation on
        var folder = CopyRecords(["resnet20-A-cifar10-3200it-zeroinit-bf16-s0", "resnet56-A-cifar10-3200it-zeroinit-bf16-s0"]);
        try
        {
            var curves = RunAnalysis.ReferenceCurves(ReferenceRuns.Load(folder).OrderBy(r => r.Record.Config.Model).ToList());
            Assert.Equal(["resnet20", "resnet56"], curves.Select(c => c.Label.Split(' ')[0]));
            Assert.Equal(200, Findings.AheadFrom(curves[0], curves[1]));
            Assert.Null(Findings.AheadFrom(curves[1], curves[0]));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void A_kind_without_a_committed_pair_is_left_out()
    {
        var folder = CopyRecords(["plain20-cifar10-12800it-s0", "resnet20-A-cifar10-3200it-s0", "resnet56-A-cifar10-3200it-zeroinit-s1"]);
        try
        {
            var references = ReferenceRuns.Load(folder);
            Assert.Empty(Findings.LongRuns(references, ["plain20", "plain56"], ["resnet20", "resnet56"]));   // no plain56; ResNet-56 only zero-init
            Assert.Empty(Findings.LongRuns(references, ["plain20"], ["resnet20"]));                          // one depth: nothing to compare
            Assert.Empty(Findings.LongRuns([], ["plain20", "plain56"], ["resnet20", "resnet56"]));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
