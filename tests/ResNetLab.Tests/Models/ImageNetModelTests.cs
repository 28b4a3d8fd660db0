using ResNetLab.Analysis;
using ResNetLab.Models;
using ResNetLab.Paper;
using Xunit.Abstractions;
using TorchSharp;
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
    public void Bottleneck_nets_with_wide_1x1_convs_train_in_nchw_on_a_cpu_where_onednn_faults_in_channels_last()
    {
        using var r50 = ModelZoo.Create("resnet50");
        using var r34 = ModelZoo.Create("resnet34");
        using var cifar = ModelZoo.Create("resnet29-bottleneck");
        Assert.Equal((true, false, false), (r50.HasWideOneByOne, r34.HasWideOneByOne, cifar.HasWideOneByOne));
        Assert.Equal(["nchw", "nhwc", "nhwc"], new[] { r50, r34, cifar }.Select(m => m.LayoutName(TorchSharp.DeviceType.CPU)));
        r50.ChannelsLast = true;                                  // an explicit choice still wins
        Assert.Equal("nhwc", r50.LayoutName(TorchSharp.DeviceType.CPU));
        r50.ChannelsLast = null;

        // Forward and backward with two threads (the fault needs two or more): oneDNN's 1×1 convolutions killed the test
        // host with SIGFPE on an AVX-512 CPU (2026-12-06) — forward in channels-last, backward in either layout. The wide
        // 1×1 convs train as matrix products (Conv.Run) and evaluate as convs in NCHW.
        var threads = get_num_threads();
        set_num_threads(2);
        try
        {
            using var scope = NewDisposeScope();
            r50.train();
            r50.call(randn(2, 3, 224, 224)).square().mean().backward();
            var grad = r50.get_parameter("layer4.0.conv3.weight")!.grad;
            Assert.NotNull(grad);
            Assert.True(grad!.abs().sum().item<float>() > 0);
            r50.eval();
            using (no_grad()) Assert.Equal([2L, 1000], r50.call(randn(2, 3, 224, 224)).shape);
        }
        finally { set_num_threads(threads); }
    }

    [Fact]
    public void A_wide_1x1_conv_trained_as_a_matrix_product_computes_the_conv()
    {
        using var scope = NewDisposeScope();
        var conv = nn.Conv2d(256, 1024, 1, stride: 2, bias: false);
        Assert.True(Conv.IsWideOneByOne(conv));
        Assert.True(Conv.IsWideOneByOne(nn.Conv2d(1024, 256, 1, bias: false)));   // its data gradient is 1,024 wide
        Assert.False(Conv.IsWideOneByOne(nn.Conv2d(256, 512, 1, bias: false)));
        Assert.False(Conv.IsWideOneByOne(nn.Conv2d(256, 1024, 3, padding: 1, bias: false)));
        var x = randn(2, 256, 14, 14, requires_grad: true);
        var viaMatmul = Conv.Run(conv, x);                       // gradient on: the matrix product
        Tensor viaConv;
        using (no_grad()) viaConv = conv.call(x);                 // NCHW conv, as evaluation runs it
        Assert.Equal(viaConv.shape, viaMatmul.shape);
        Assert.True(viaMatmul.allclose(viaConv, rtol: 1e-4, atol: 1e-5), $"largest difference {(viaMatmul - viaConv).abs().max().item<float>():E2}");
        viaMatmul.sum().backward();                               // d(sum)/dW[o, i] = sum of x[:, i] over the strided positions
        using var expected = x.detach()[.., .., TensorIndex.Slice(step: 2), TensorIndex.Slice(step: 2)].sum([0, 2, 3]);
        Assert.True(conv.weight!.grad!.flatten(1).allclose(expected.expand(1024, 256), rtol: 1e-4, atol: 1e-3));
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
