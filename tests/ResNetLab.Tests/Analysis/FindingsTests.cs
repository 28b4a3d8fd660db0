using ResNetLab.Analysis;
using ResNetLab.Charts;
using ResNetLab.Models;

namespace ResNetLab.Tests.Analysis;

/// <summary>The "what we saw" text follows the numbers both ways: it is computed, not written in advance.</summary>
public class FindingsTests
{
    static FinalResult R(string model, int depth, bool residual, double train, double test) =>
        new(model, model, depth, residual, residual ? ShortcutOption.A : null, BlockKind.Basic, 800, train, test, 2000, 0, 1000);

    [Fact]
    public void Degradation_is_reported_when_the_deeper_plain_net_trains_worse()
    {
        var text = Findings.Degradation([R("plain20", 20, false, 20, 25), R("plain56", 56, false, 30, 33)],
                                        [R("resnet20", 20, true, 18, 22), R("resnet56", 56, true, 15, 20)]);
        Assert.Contains("the deeper plain net trains worse", text);
        Assert.Contains("depth helps", text);
        Assert.Contains("30.0%", text);
    }

    [Fact]
    public void No_degradation_is_said_plainly_when_the_numbers_do_not_show_it()
    {
        var text = Findings.Degradation([R("plain20", 20, false, 30, 35), R("plain56", 56, false, 25, 30)],
                                        [R("resnet20", 20, true, 18, 22), R("resnet56", 56, true, 19, 23)]);
        Assert.Contains("did <b>not</b> train worse", text);
        Assert.Contains("has not yet overtaken", text);
    }

    [Fact]
    public void Degradation_counts_the_evaluation_points_where_the_deeper_plain_net_is_worse()
    {
        var curves = new[]
        {
            new ErrorCurve("plain20", [50, 100, 150, 200], [80, 70, 60, 50], [80, 70, 60, 50]),
            new ErrorCurve("plain56", [50, 100, 150], [85, 65, 70], [85, 65, 70]),
        };
        var text = Findings.Degradation([R("plain20", 20, false, 50, 50), R("plain56", 56, false, 70, 70)],
                                        [R("resnet20", 20, true, 18, 22), R("resnet56", 56, true, 15, 20)], curves);
        Assert.Contains("plain56 had the higher training error at 2 of 3 evaluation points", text);
        Assert.DoesNotContain("evaluation points", Findings.Degradation([R("plain20", 20, false, 50, 50), R("plain56", 56, false, 70, 70)],
                                                                       [R("resnet20", 20, true, 18, 22), R("resnet56", 56, true, 15, 20)]));
    }

    [Fact]
    public void Layer_responses_compare_plain_and_residual_means()
    {
        var text = Findings.LayerResponses([new ResponseSeries("plain20", [1.0, 2.0]), new ResponseSeries("resnet20", [0.5, 0.7]),
                                            new ResponseSeries("resnet56", [0.4, 0.5])]);
        Assert.Contains("the residual functions respond less", text);
        Assert.Contains("the deeper ResNet has smaller responses", text);
    }

    [Fact]
    public void Standard_error_shrinks_with_more_test_images() =>
        Assert.True(Findings.StandardError(10, 10_000) < Findings.StandardError(10, 500));
}
