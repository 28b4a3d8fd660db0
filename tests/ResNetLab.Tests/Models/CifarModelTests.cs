using ResNetLab.Analysis;
using ResNetLab.Models;
using ResNetLab.Paper;
using static TorchSharp.torch;

namespace ResNetLab.Tests.Models;

public class CifarModelTests
{
    public CifarModelTests() => Torch.Up();

    public static TheoryData<string, long> ExactCounts()
    {
        var data = new TheoryData<string, long>();
        foreach (var row in PaperNumbers.Table6) data.Add(row.Model, row.ExactParameters);
        return data;
    }

    [Theory]
    [MemberData(nameof(ExactCounts))]
    public void OptionA_parameter_count_is_exact(string name, long expected)
    {
        using var model = ModelZoo.Create(name);
        Assert.Equal(expected, Complexity.CountParameters(model));
    }

    [Fact]
    public void Table6_counts_measured_from_the_modules_round_to_the_printed_figures()
    {
        // The table notebook 01 shows: each "ours (M)" cell is counted from the built modules and rounded as Table 6 prints it.
        var table = PaperTables.CifarParameters();
        Assert.Equal(PaperNumbers.Table6.Count, (int)table.Rows.Count);
        for (var i = 0; i < PaperNumbers.Table6.Count; i++)
        {
            var row = PaperNumbers.Table6[i];
            Assert.Equal(row.ExactParameters, (long)table["parameters (ours)"][i]!);
            Assert.Equal(table["Table 6"][i], table["ours (M)"][i]);
            Assert.Equal(row.ParamsMillions.ToString($"F{row.ParamsDecimals}", System.Globalization.CultureInfo.InvariantCulture) + "M", table["ours (M)"][i]);
        }
    }

    [Theory]
    [InlineData(20)]
    [InlineData(56)]
    [InlineData(110)]
    public void Plain_and_residual_nets_have_equal_counts(int depth)
    {
        using var plain = ModelZoo.Create($"plain{depth}");
        using var residual = ModelZoo.Create($"resnet{depth}");
        Assert.Equal(Complexity.CountParameters(residual), Complexity.CountParameters(plain));
        Assert.False(plain.IsResidual);
        Assert.Null(plain.Shortcut);
    }

    // Projection = 1×1 conv (in·out weights) + BN (γ, β: 2·out), counted here from the §4.2 widths, not from the code.
    static long Projection(long inC, long outC) => inC * outC + 2 * outC;

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public void Options_B_and_C_add_exactly_the_projection_parameters(int n)
    {
        var depth = 6 * n + 2;
        using var a = ModelZoo.Create($"resnet{depth}", shortcut: ShortcutOption.A);
        using var b = ModelZoo.Create($"resnet{depth}", shortcut: ShortcutOption.B);
        using var c = ModelZoo.Create($"resnet{depth}", shortcut: ShortcutOption.C);
        var countA = Complexity.CountParameters(a);

        // B: projections only where dimensions grow (first block of stages 2 and 3).
        Assert.Equal(countA + Projection(16, 32) + Projection(32, 64), Complexity.CountParameters(b));

        // C: a projection on every one of the 3n shortcuts.
        long extraC = 0;
        long[] widths = [16, 32, 64];
        long inC = 16;
        foreach (var w in widths)
            for (var i = 0; i < n; i++) { extraC += Projection(inC, w); inC = w; }
        Assert.Equal(countA + extraC, Complexity.CountParameters(c));
    }

    [Fact]
    public void Bottleneck_resnet164_has_9n_plus_2_layers_and_the_expected_count()
    {
        using var model = ModelZoo.Create("resnet164");
        Assert.Equal(164, model.Depth);
        Assert.Equal(BlockKind.Bottleneck, model.Block);
        // Independent count: stem conv+BN, 18 bottlenecks per stage (1×1 in→p, 3×3 p→p, 1×1 p→4p, three BNs), fc 256→10.
        long expected = 3 * 16 * 9 + 2 * 16;
        long inC = 16;
        foreach (long p in new long[] { 16, 32, 64 })
            for (var i = 0; i < 18; i++) { expected += inC * p + 2 * p + 9 * p * p + 2 * p + 4 * p * p + 8 * p; inC = 4 * p; }
        expected += 256 * 10 + 10;
        Assert.Equal(expected, Complexity.CountParameters(model));
    }

    [Theory]
    [InlineData("resnet20")]
    [InlineData("resnet32")]
    [InlineData("resnet44")]
    [InlineData("resnet56")]
    [InlineData("resnet110")]
    [InlineData("plain20")]
    [InlineData("plain32")]
    [InlineData("plain44")]
    [InlineData("plain56")]
    [InlineData("plain110")]
    [InlineData("resnet164")]
    public void Forward_and_backward_run_on_a_tiny_batch(string name)
    {
        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create(name);
        model.train();
        var x = randn(2, 3, 32, 32);
        var y = tensor(new long[] { 1, 7 });
        var logits = model.call(x);
        Assert.Equal(new long[] { 2, 10 }, logits.shape);
        nn.functional.cross_entropy(logits, y).backward();
        foreach (var (pname, p) in model.named_parameters())
        {
            Assert.True(p.grad is not null, $"{name}: {pname} has no gradient");
            Assert.True(p.grad!.isfinite().all().item<bool>(), $"{name}: {pname} gradient not finite");
        }
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void Resnet1202_runs_forward_and_backward_on_a_tiny_batch()
    {
        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create("resnet1202");
        var logits = model.call(randn(2, 3, 32, 32));
        nn.functional.cross_entropy(logits, tensor(new long[] { 0, 1 })).backward();
        Assert.True(model.parameters().All(p => p.grad is not null && p.grad.isfinite().all().item<bool>()));
    }

    [Fact]
    public void Any_n_works_and_bad_depths_are_rejected()
    {
        using var model = ModelZoo.Create("resnet8");
        Assert.Equal(8, model.Depth);
        Assert.Single(model.Blocks, b => b.Name.StartsWith("layer3."));
        Assert.Throws<ArgumentException>(() => ModelZoo.Create("resnet21"));
        Assert.Throws<ArgumentException>(() => ModelZoo.Spec("plain11-bottleneck"));
        Assert.Throws<ArgumentException>(() => ModelZoo.Create("plain20", shortcut: ShortcutOption.B));
    }

    [Fact]
    public void Parameter_names_follow_the_cifar_reference()
    {
        using var b = ModelZoo.Create("resnet20", shortcut: ShortcutOption.B, numClasses: 100);
        var keys = b.state_dict().Keys.ToHashSet();
        foreach (var k in new[] { "conv1.weight", "bn1.weight", "bn1.running_mean", "bn1.num_batches_tracked",
                                  "layer1.0.conv1.weight", "layer1.0.bn1.bias", "layer1.0.conv2.weight", "layer1.0.bn2.running_var",
                                  "layer2.0.shortcut.0.weight", "layer2.0.shortcut.1.weight", "layer3.2.conv2.weight",
                                  "linear.weight", "linear.bias" })
            Assert.Contains(k, keys);
        Assert.DoesNotContain("layer1.0.shortcut.0.weight", keys);
        Assert.Equal(new long[] { 100, 64 }, b.state_dict()["linear.weight"].shape);
    }

    [Fact]
    public void Option_A_shortcut_matches_the_reference_pad_of_the_subsampled_input()
    {
        using var scope = NewDisposeScope();
        var x = randn(2, 16, 8, 8);
        var shortcut = new ZeroPadShortcut(16, 32, 2);
        // Reference: F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, 8, 8)) — zeros, the subsampled input, zeros.
        var sub = x[.., .., TensorIndex.Slice(step: 2), TensorIndex.Slice(step: 2)];
        var expected = cat([zeros(2, 8, 4, 4), sub, zeros(2, 8, 4, 4)], 1);
        Assert.True(shortcut.call(x).eq(expected).all().item<bool>());
        var residual = randn(2, 32, 4, 4);
        var fused = shortcut.AddInto(residual.clone(), x);
        Assert.True(fused.allclose(residual + expected));
    }

    [Fact]
    public void Kaiming_init_and_zero_init_residual()
    {
        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create("resnet56", zeroInitResidual: true);
        foreach (var (_, block) in model.Blocks) Assert.Equal(0, block.LastNorm.weight!.abs().sum().item<float>());
        var sd = model.state_dict();
        Assert.Equal(1f, sd["bn1.weight"].mean().item<float>());
        Assert.Equal(0f, sd["bn1.bias"].abs().sum().item<float>());
        // fan_out Kaiming normal: std = sqrt(2 / (out·k·k)) = sqrt(2 / (64·9)) for the stage-3 convs.
        var w = sd["layer3.5.conv1.weight"];
        Assert.InRange(w.std().item<float>(), 0.9 * Math.Sqrt(2.0 / 576), 1.1 * Math.Sqrt(2.0 / 576));
        // With every branch starting at zero, each block is the identity on its (non-negative) input.
        model.eval();
        var block0 = model.Blocks[1].Block;
        var h = randn(2, 16, 32, 32).relu();
        Assert.True(block0.call(h).allclose(h));
    }

    [Theory]
    [InlineData("resnet29-bottleneck")]
    [InlineData("preact-resnet110")]
    public void Zero_init_makes_every_bottleneck_and_preactivation_block_its_shortcut(string name)
    {
        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create(name, zeroInitResidual: true);
        model.eval();
        foreach (var (blockName, block) in model.Blocks.Where(b => !b.Block.ChangesShape))
        {
            var channels = block.parameters().First(p => p.dim() == 4).shape[1];
            var h = randn(2, channels, 8, 8).relu();   // non-negative, so a closing ReLU changes nothing
            Assert.True(block.call(h).allclose(h, atol: 1e-6), $"{name} {blockName} is not the identity at init");
        }
        using var paper = ModelZoo.Create(name);
        paper.eval();
        var (_, first) = paper.Blocks.First(b => !b.Block.ChangesShape);
        var x = randn(2, first.parameters().First(p => p.dim() == 4).shape[1], 8, 8).relu();
        Assert.False(first.call(x).allclose(x, atol: 1e-3), "the paper's init must not start as the identity");
    }

    [Fact]
    public void Taps_return_every_3x3_response_in_order_and_leave_the_output_alone()
    {
        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create("resnet20");
        model.eval();
        var x = randn(3, 3, 32, 32);
        Tensor plainOut;
        using (no_grad()) plainOut = model.call(x);
        var responses = model.LayerResponses(x);
        Assert.Equal(19, responses.Count); // stem + 2 per block × 9 blocks
        Assert.Equal("conv1", responses[0].Name);
        Assert.Equal("layer1.0.conv1", responses[1].Name);
        Assert.Equal("layer3.2.conv2", responses[^1].Name);
        Assert.Equal(new long[] { 3, 16, 32, 32 }, responses[0].Output.shape);
        Assert.Equal(new long[] { 3, 32, 16, 16 }, responses[7].Output.shape);
        Assert.Equal(new long[] { 3, 64, 8, 8 }, responses[^1].Output.shape);
        // The BN output is taken before ReLU: the stem response has negative values.
        Assert.True(responses[0].Output.min().item<float>() < 0);
        foreach (var r in responses) r.Output.Dispose();
        // Hooks are gone: another pass collects nothing and the outputs agree.
        using (no_grad()) Assert.True(model.call(x).allclose(plainOut));
        using var taps = model.Tap();
        using (no_grad()) model.call(x);
        using (no_grad()) model.call(x);
        Assert.Equal(38, taps.Responses.Count);
    }
}
