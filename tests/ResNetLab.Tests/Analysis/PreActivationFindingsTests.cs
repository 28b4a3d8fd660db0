using ResNetLab.Analysis;
using ResNetLab.Models;
using ResNetLab.Paper;
using ResNetLab.Training;

namespace ResNetLab.Tests.Analysis;

/// <summary>Notebook 10: the pre-activation paper's numbers, held to the source, and the facts computed from runs.</summary>
public class PreActivationFindingsTests
{
    [Fact]
    public void The_identity_mappings_papers_cifar10_numbers_are_those_it_prints()
    {
        // Table 3 of He, Zhang, Ren, Sun, ECCV 2016 (CIFAR-10 test error, %, original → pre-activation; parameters)
        Assert.Equal(
        [
            ("preact-resnet110", "resnet110", 110, 1.7, 6.61, 6.37),
            ("preact-resnet164", "resnet164", 164, 1.7, 5.93, 5.46),
            ("preact-resnet1001", "resnet1001-bottleneck", 1001, 10.2, 7.61, 4.92),
        ], IdentityMappingsNumbers.Cifar10.Select(r => (r.Model, r.Original, r.Depth, r.ParamsMillions, r.OriginalErrorPercent, r.PreActErrorPercent)));
        Assert.Equal(6.61, PreActivationAnalysis.PaperTestErrors["resnet110"]);
        Assert.Equal(4.92, PreActivationAnalysis.PaperTestErrors["preact-resnet1001"]);
    }

    static FinalResult R(string model, int depth, double train, double test, int iterations = 800, long seed = 0) =>
        new(model, model, depth, true, null, BlockKind.Basic, iterations, train, test, 2000, seed, 1_700_000);

    [Fact]
    public void Pairs_follow_the_numbers_and_the_paper_is_compared_only_on_its_schedule()
    {
        var estimate = new DurationEstimate(36 * 3600, "from 2 finished run(s) here, scaled by multiply-adds");
        var better = Findings.PreActivation([R("resnet110", 110, 30, 35)], [R("preact-resnet110", 110, 31, 30)], estimate);
        var p = Assert.Single(better.Pairs);
        Assert.Equal(-5, p.TestDifferencePoints, 12);
        Assert.Equal(1, p.TrainDifferencePoints, 12);
        Assert.Equal(Findings.StandardError(32.5, 2000), p.NoisePoints, 12);
        Assert.False(p.WithinNoise);
        Assert.Equal(6.37, p.Paper!.PreActErrorPercent);
        Assert.False(better.PaperSchedule);
        Assert.Equal(36, better.PreAct1001Hours, 9);
        Assert.Contains("multiply-adds", better.PreAct1001Basis);

        var close = Findings.PreActivation([R("resnet110", 110, 5, 7, 64_000)], [R("preact-resnet110", 110, 5, 6.8, 64_000)], estimate);
        Assert.True(Assert.Single(close.Pairs).WithinNoise);
        Assert.True(close.PaperSchedule);

        // a twin of another seed is not a pair
        Assert.Empty(Findings.PreActivation([R("resnet110", 110, 30, 35)], [R("preact-resnet110", 110, 31, 30, seed: 1)], estimate).Pairs);
    }

    [Fact]
    public void The_table_counts_parameters_as_the_paper_does_and_says_what_was_not_trained()
    {
        var table = PreActivationAnalysis.Table([R("resnet110", 110, 30, 35)], [R("preact-resnet110", 110, 31, 30)]);
        Assert.Equal(3, table.Rows.Count);
        Assert.Equal("35.00 → 30.00", table["ours: original → pre-act test error (%)"][0]);
        Assert.Equal("not trained here", table["ours: original → pre-act test error (%)"][1]);
        var weights = table["our pre-act conv + fc weights (M)"];
        Assert.Equal([1.7, 1.7, 10.2], Enumerable.Range(0, 3).Select(i => Math.Round((double)weights[i]!, 1)));   // as Table 3 prints them
        Assert.Equal("6.61 → 6.37", table["paper: original → pre-act test error (%)"][0]);
    }
}
