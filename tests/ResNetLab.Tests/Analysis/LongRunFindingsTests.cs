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

            var resnet = facts[1];
            Assert.Equal(3_200, resnet.Iterations);
            Assert.Equal("none", resnet.LongerUnpaired);
            Assert.Equal(("resnet20", 0L, false), (resnet.Shallow.Model, resnet.Shallow.Seed, resnet.Shallow.ZeroInitResidual));
            Assert.Equal(("resnet56", 0L, false), (resnet.Deep.Model, resnet.Deep.Seed, resnet.Deep.ZeroInitResidual));   // the zero-init s1 is another recipe
            Assert.False(resnet.DeepAhead);                           // 3,200 iterations: ResNet-56 still starts slow (28.7 vs 20.3 %)
            Assert.InRange(resnet.DeepMinusShallowPoints, 8, 9);
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
