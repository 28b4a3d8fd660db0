using ResNetLab.Training;

namespace ResNetLab.Tests.Training;

/// <summary>`bench --compare-pytorch`'s ratios: each round's own ratio, then the median over the rounds.</summary>
public class PairedRatiosTests
{
    [Fact]
    public void A_ratio_is_the_median_of_the_rounds_own_ratios_not_the_ratio_of_the_medians()
    {
        // Two rounds where the machine was equally loaded for both engines, one where the load fell on ours alone:
        // the ratio of the medians (100 / 190 = 0.53) would pair that busy round of ours with a quiet one of theirs.
        CompareRow ours = new("TorchSharp", "nhwc", "fp32", 100, [200, 100, 100]);
        CompareRow theirs = new("PyTorch 1.13", "nhwc", "fp32", 190, [190, 95, 190]);
        CompareRow nchw = new("PyTorch 1.13", "nchw", "fp32", 150, [150, 80, 150]);

        var (median, rounds) = Bench.PairedRatios([ours], [nchw, theirs]);

        const string key = "TorchSharp nhwc fp32 / PyTorch 1.13 nhwc fp32";
        Assert.Equal(["TorchSharp nhwc fp32 / PyTorch 1.13 nchw fp32", key], rounds.Keys);
        Assert.Equal([200 / 190.0, 100 / 95.0, 100 / 190.0], rounds[key]);
        Assert.Equal(200 / 190.0, median[key], 12);
        Assert.Equal(100 / 80.0, median["TorchSharp nhwc fp32 / PyTorch 1.13 nchw fp32"], 12);   // 1.33, 1.25, 0.67
    }

    [Fact]
    public void Rows_with_different_round_counts_are_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => Bench.PairedRatios(
            [new("TorchSharp", "nhwc", "bf16", 1, [1, 2])], [new("PyTorch 1.13", "nhwc", "bf16", 1, [1, 2, 3])]));
        Assert.Contains("TorchSharp nhwc bf16 has 2 rounds, PyTorch 1.13 nhwc bf16 3", error.Message);
    }
}
