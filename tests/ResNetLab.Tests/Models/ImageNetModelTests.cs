using ResNetLab.Analysis;
using ResNetLab.Models;
using ResNetLab.Paper;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ResNetLab.Tests.Models;

public class ImageNetModelTests(ITestOutputHelper output)
{
    readonly ITestOutputHelper output = Init(output);

    static ITestOutputHelper Init(ITestOutputHelper o)
    {
        Torch.Up();
        return o;
    }

    [Theory]
    [InlineData("resnet18")]
    [InlineData("resnet34")]
    [InlineData("resnet50")]
    [InlineData("resnet101")]
    [InlineData("resnet152")]
    public void Multiply_adds_match_Table1(string name)
    {
        using var model = ModelZoo.Create(name);
        var report = Complexity.Measure(model, 224);
        var billions = report.MultiplyAdds / 1e9;
        output.WriteLine($"{name}: {report.MultiplyAdds:N0} multiply-adds, {report.Parameters:N0} parameters");
        Assert.True(PaperRounding.Matches(billions, PaperNumbers.Table1MultiplyAddsBillions[name]),
            $"{name}: {billions:F3}e9 does not round to the paper's {PaperNumbers.Table1MultiplyAddsBillions[name]}e9");
    }

    // torchvision's published counts for the same architectures (option B; the stride placement does not change them).
    [Theory]
    [InlineData("resnet18", 11_689_512)]
    [InlineData("resnet34", 21_797_672)]
    [InlineData("resnet50", 25_557_032)]
    [InlineData("resnet101", 44_549_160)]
    [InlineData("resnet152", 60_192_808)]
    public void Parameter_counts_match_torchvision(string name, long expected)
    {
        using var model = ModelZoo.Create(name);
        Assert.Equal(expected, Complexity.CountParameters(model));
    }

    [Fact]
    public void Resnet34_options_and_plain34()
    {
        using var plain = ModelZoo.Create("plain34");
        using var a = ModelZoo.Create("resnet34", shortcut: ShortcutOption.A);
        using var b = ModelZoo.Create("resnet34", shortcut: ShortcutOption.B);
        using var c = ModelZoo.Create("resnet34", shortcut: ShortcutOption.C);
        long Proj(long i, long o) => i * o + 2 * o;
        var countA = Complexity.CountParameters(a);
        Assert.Equal(Complexity.CountParameters(plain), countA);
        Assert.Equal(countA + Proj(64, 128) + Proj(128, 256) + Proj(256, 512), Complexity.CountParameters(b));
        long extra = 0, inC = 64;
        foreach (var (w, n) in new (long, int)[] { (64, 3), (128, 4), (256, 6), (512, 3) })
            for (var i = 0; i < n; i++) { extra += Proj(inC, w); inC = w; }
        Assert.Equal(countA + extra, Complexity.CountParameters(c));
    }

    [Fact]
    public void V15_stride_placement_adds_the_full_resolution_1x1_cost()
    {
        using var v1 = ModelZoo.Create("resnet50");
        using var v15 = ModelZoo.Create("resnet50", strideOn3x3: true);
        var m1 = Complexity.Measure(v1, 224).MultiplyAdds;
        var m15 = Complexity.Measure(v15, 224).MultiplyAdds;
        // The first 1×1 of conv3_1/conv4_1/conv5_1 runs at 56²/28²/14² instead of 28²/14²/7².
        long extra = 256L * 128 * (56 * 56 - 28 * 28) + 512L * 256 * (28 * 28 - 14 * 14) + 1024L * 512 * (14 * 14 - 7 * 7);
        Assert.Equal(m1 + extra, m15);
        Assert.Equal(Complexity.CountParameters(v1), Complexity.CountParameters(v15));
        Assert.Throws<ArgumentException>(() => ModelZoo.Create("resnet34", strideOn3x3: true));
    }

    [Fact]
    public void Names_follow_torchvision_and_forward_runs()
    {
        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create("resnet18", numClasses: 7);
        var keys = model.state_dict().Keys.ToHashSet();
        foreach (var k in new[] { "conv1.weight", "bn1.running_var", "layer1.0.conv1.weight", "layer2.0.downsample.0.weight",
                                  "layer2.0.downsample.1.running_mean", "layer4.1.bn2.weight", "fc.weight", "fc.bias" })
            Assert.Contains(k, keys);
        Assert.Equal(62, keys.Count(k => !k.EndsWith("num_batches_tracked") && !k.Contains("running_")));
        var logits = model.call(randn(2, 3, 64, 64));
        Assert.Equal(new long[] { 2, 7 }, logits.shape);
        // Taps: one per 3×3 conv (the 7×7 stem is not one): 2 per basic block × 8 blocks.
        Assert.Equal(16, model.ThreeByThreeOutputs.Count);
    }
}
