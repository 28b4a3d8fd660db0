using ResNetLab.Analysis;
using ResNetLab.Charts;
using ResNetLab.Models;

namespace ResNetLab.Tests.Analysis;

/// <summary>The "what we saw" facts follow the numbers both ways: they are computed, not written in advance.</summary>
public class FindingsTests
{
    static FinalResult R(string model, int depth, bool residual, double train, double test, BlockKind block = BlockKind.Basic,
                         ShortcutOption? shortcut = null, long parameters = 1000, int iterations = 800) =>
        new(model, model, depth, residual, residual ? shortcut ?? ShortcutOption.A : null, block, iterations, train, test, 2000, 0, parameters);

    [Fact]
    public void Degradation_is_reported_when_the_deeper_plain_net_trains_worse()
    {
        var facts = Findings.Degradation([R("plain20", 20, false, 20, 25), R("plain56", 56, false, 30, 33)],
                                         [R("resnet20", 20, true, 18, 22), R("resnet56", 56, true, 15, 20)])!;
        Assert.True(facts.PlainDegrades);
        Assert.True(facts.ResidualImproves);
        Assert.Equal(("plain20", "plain56", "resnet20", "resnet56"),
                     (facts.ShallowPlain.Model, facts.DeepPlain.Model, facts.ShallowResidual.Model, facts.DeepResidual.Model));
        Assert.Equal(15, facts.GapPoints, 12);                // 30 − 15
        Assert.Equal(6.97, facts.PaperTestError);             // Table 6, ResNet-56
        Assert.Equal(100 * Math.Sqrt(0.33 * 0.67 / 2000), facts.DeepPlainTestNoise, 12);
        Assert.Null(facts.SharedPoints);
    }

    [Fact]
    public void No_degradation_is_said_plainly_when_the_numbers_do_not_show_it()
    {
        var facts = Findings.Degradation([R("plain20", 20, false, 30, 35), R("plain56", 56, false, 25, 30)],
                                         [R("resnet20", 20, true, 18, 22), R("resnet56", 56, true, 19, 23)])!;
        Assert.False(facts.PlainDegrades);
        Assert.False(facts.ResidualImproves);
        Assert.Null(Findings.Degradation([R("plain20", 20, false, 30, 35)], [R("resnet20", 20, true, 18, 22)]));
    }

    [Fact]
    public void Degradation_counts_the_evaluation_points_where_the_deeper_plain_net_is_worse()
    {
        var curves = new[]
        {
            new ErrorCurve("plain20", [50, 100, 150, 200], [80, 70, 60, 50], [80, 70, 60, 50]),
            new ErrorCurve("plain56", [50, 100, 150], [85, 65, 70], [85, 65, 70]),
        };
        var facts = Findings.Degradation([R("plain20", 20, false, 50, 50), R("plain56", 56, false, 70, 70)],
                                         [R("resnet20", 20, true, 18, 22), R("resnet56", 56, true, 15, 20)], curves)!;
        Assert.Equal((2, 3), (facts.DeepPlainWorseAt, facts.SharedPoints));
    }

    [Fact]
    public void Shortcut_options_report_spread_noise_and_added_parameters()
    {
        var facts = Findings.ShortcutOptions([R("resnet20", 20, true, 30, 36, shortcut: ShortcutOption.A, parameters: 1000),
                                              R("resnet20", 20, true, 30, 35, shortcut: ShortcutOption.B, parameters: 1100),
                                              R("resnet20", 20, true, 30, 40, shortcut: ShortcutOption.C, parameters: 1300)]).Single();
        Assert.Equal(5, facts.SpreadPoints, 12);
        Assert.False(facts.WithinNoise);   // ±1.07 points on 2,000 images: 5 points is more than twice that
        Assert.Equal([new AddedParameters(ShortcutOption.B, 100), new AddedParameters(ShortcutOption.C, 300)], facts.OverA);
    }

    [Fact]
    public void Bottleneck_compares_within_the_noise()
    {
        var facts = Findings.Bottleneck([R("resnet20", 20, true, 30, 36), R("resnet29-bottleneck", 29, true, 30, 36.5, BlockKind.Bottleneck)])!;
        Assert.True(facts.WithinNoise);
        Assert.Equal(0.5, facts.DifferencePoints, 12);
        Assert.Null(Findings.Bottleneck([R("resnet20", 20, true, 30, 36)]));
    }

    [Fact]
    public void Very_deep_judges_overfitting_only_on_comparable_schedules()
    {
        var r110 = R("resnet110", 110, true, 10, 12, iterations: 800);
        var overfit = R("resnet1202", 1202, true, 9, 15, iterations: 800);
        var facts = Findings.VeryDeep([r110], [overfit], warmupEndedAt: 400)!;
        Assert.True(facts.Comparable);
        Assert.True(facts.OverfitsLikeThePaper);
        Assert.True(facts.NeverSawFullRate);   // warm-up ended at the first ÷10 (400 of 800)
        var shortRun = Findings.VeryDeep([r110], [overfit with { Iterations = 120 }], warmupEndedAt: 200)!;
        Assert.False(shortRun.Comparable);
        Assert.False(shortRun.OverfitsLikeThePaper);
        Assert.False(shortRun.NeverSawFullRate);
    }

    [Fact]
    public void Layer_responses_compare_plain_and_residual_means_from_the_specs()
    {
        var facts = Findings.LayerResponses(
            [new ResponseSeries("plain20", [1.0, 2.0]), new ResponseSeries("resnet20", [0.5, 0.7]), new ResponseSeries("resnet56", [0.4, 0.5])],
            [R("plain20", 20, false, 0, 0), R("resnet20", 20, true, 0, 0), R("resnet56", 56, true, 0, 0)]);
        Assert.Equal([new ResponsePair(20, 1.5, 0.6)], facts.Pairs);
        Assert.True(facts.Pairs[0].ResidualSmaller);
        Assert.Equal([new ResponseByDepth(20, 0.6), new ResponseByDepth(56, 0.45)], facts.ResNetsByDepth);
        Assert.True(facts.DeeperIsSmaller);
    }

    [Fact]
    public void Standard_error_shrinks_with_more_test_images() =>
        Assert.True(Findings.StandardError(10, 10_000) < Findings.StandardError(10, 500));
}
