using ResNetLab.Analysis;
using ResNetLab.Models;
using static TorchSharp.torch;

namespace ResNetLab.Tests.Models;

/// <summary>Lesion surgery (Veit et al. 2016): deleting a block removes exactly its residual branch F(x).</summary>
public class LesionTests
{
    public LesionTests() => Torch.Up();

    [Theory]
    [InlineData("layer1.1", ShortcutOption.A)]   // identity shortcut
    [InlineData("layer2.0", ShortcutOption.A)]   // subsample + zero channels
    [InlineData("layer3.0", ShortcutOption.B)]   // projection
    public void A_lesion_equals_the_network_with_that_blocks_F_set_to_zero(string block, ShortcutOption shortcut)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(31);
        using var model = ModelZoo.Create("resnet14", shortcut);
        model.eval();
        var x = randn(4, 3, 32, 32);
        using var _ = no_grad();
        var intact = model.call(x);
        Tensor lesioned;
        using (model.Lesion(block)) lesioned = model.call(x);
        Assert.True((lesioned - intact).abs().max().item<float>() > 1e-3, "the lesion changed nothing");
        Assert.True(model.call(x).eq(intact).all().item<bool>(), "the lesion was not undone");

        // In eval mode the last BN of the branch with γ = β = 0 makes F(x) exactly 0: ReLU(0 + shortcut(x)).
        var last = model.Blocks.Single(b => b.Name == block).Block.LastNorm;
        last.weight!.zero_();
        last.bias!.zero_();
        var withoutF = model.call(x);
        Assert.True((lesioned - withoutF).abs().max().item<float>() < 1e-6, $"lesion of {block} is not F(x) = 0");
    }

    [Fact]
    public void A_plain_block_is_bridged_by_identity_or_the_parameter_free_option_A_mapping()
    {
        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create("plain14");
        model.eval();
        using var _ = no_grad();
        var same = model.Blocks.Single(b => b.Name == "layer1.1").Block;
        var grows = model.Blocks.Single(b => b.Name == "layer2.0").Block;
        var h = randn(2, 16, 32, 32);
        Assert.True(Lesions.Bypass(same, h).eq(h.relu()).all().item<bool>());
        var expected = nn.functional.pad(h[.., .., TensorIndex.Slice(step: 2), TensorIndex.Slice(step: 2)], [0, 0, 0, 0, 8, 8]).relu();
        Assert.True(Lesions.Bypass(grows, h).eq(expected).all().item<bool>());
        Tensor bridged, intact = model.call(randn(1, 3, 32, 32));
        using (model.Lesion("layer1.1", "layer2.0")) bridged = model.call(randn(1, 3, 32, 32));
        Assert.Equal(intact.shape, bridged.shape);
        Assert.Null(model.BlockForward);
        Assert.Throws<ArgumentException>(() => model.Lesion("layer9.0"));
    }
}
