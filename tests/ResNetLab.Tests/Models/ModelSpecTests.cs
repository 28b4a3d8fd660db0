using ResNetLab.Models;
using ResNetLab.Paper;

namespace ResNetLab.Tests.Models;

/// <summary>A spec describes its network completely without building it; the built module agrees with it.</summary>
public class ModelSpecTests
{
    public static TheoryData<string> Registered() => [.. ModelZoo.Names().Where(n => n is not ("resnet1202" or "plain1202" or "resnet152" or "resnet101" or "preact-resnet1001"))];

    [Theory]
    [MemberData(nameof(Registered))]
    public void The_built_module_has_the_specs_depth_blocks_and_parameter_count(string name)
    {
        var spec = ModelZoo.Spec(name);
        using var model = ModelZoo.Create(name);
        Assert.Equal(spec, model.Spec);
        Assert.Equal(spec.BlocksPerStage.Sum(), model.Blocks.Count);
        Assert.Equal(spec.ThreeByThreeLayers, model.ThreeByThreeOutputs.Count);
        var convs = model.named_modules().Count(m => m.module is TorchSharp.Modules.Conv2d && !m.name.Contains("shortcut") && !m.name.Contains("downsample"));
        Assert.Equal(spec.Depth, convs + 1);   // main-path convs + the classifier: how the paper counts layers
        Assert.Equal(spec.ExpectedParameters(), Complexity.CountParameters(model));
        Assert.Equal(spec.DefaultShortcut, model.Shortcut);
        Assert.Equal(spec.DefaultClasses, model.NumClasses);
    }

    [Theory]
    [InlineData("resnet20", ShortcutOption.B, 10)]
    [InlineData("resnet20", ShortcutOption.C, 100)]
    [InlineData("resnet29-bottleneck", ShortcutOption.A, 10)]
    [InlineData("resnet29-bottleneck", ShortcutOption.B, 10)]
    [InlineData("resnet164", ShortcutOption.C, 100)]
    [InlineData("resnet34", ShortcutOption.A, 1000)]
    [InlineData("resnet50", ShortcutOption.C, 7)]
    public void Expected_parameters_follow_every_shortcut_option_and_class_count(string name, ShortcutOption option, int classes)
    {
        using var model = ModelZoo.Create(name, option, classes);
        Assert.Equal(ModelZoo.Spec(name).ExpectedParameters(option, classes), Complexity.CountParameters(model));
    }

    [Fact]
    public void Table6_counts_are_the_specs_counts_without_building_the_1202_layer_net()
    {
        foreach (var row in PaperNumbers.Table6)
            Assert.Equal(row.ExactParameters, ModelZoo.Spec(row.Model).ExpectedParameters());
    }

    [Theory]
    [InlineData("resnet20", ModelFamily.Cifar, 20, BlockKind.Basic, true, ShortcutOption.A, 3)]
    [InlineData("plain56", ModelFamily.Cifar, 56, BlockKind.Basic, false, null, 9)]
    [InlineData("resnet110", ModelFamily.Cifar, 110, BlockKind.Basic, true, ShortcutOption.A, 18)]
    [InlineData("resnet164", ModelFamily.Cifar, 164, BlockKind.Bottleneck, true, ShortcutOption.A, 18)]
    [InlineData("resnet29-bottleneck", ModelFamily.Cifar, 29, BlockKind.Bottleneck, true, ShortcutOption.A, 3)]
    [InlineData("plain14", ModelFamily.Cifar, 14, BlockKind.Basic, false, null, 2)]
    [InlineData("resnet50", ModelFamily.ImageNet, 50, BlockKind.Bottleneck, true, ShortcutOption.B, 3)]
    public void Facts_come_from_the_registry_not_from_building(string name, ModelFamily family, int depth, BlockKind block,
                                                               bool residual, ShortcutOption? shortcut, int firstStageBlocks)
    {
        var spec = ModelZoo.Spec(name);
        Assert.Equal((family, depth, block, residual, shortcut, firstStageBlocks),
                     (spec.Family, spec.Depth, spec.Block, spec.Residual, spec.DefaultShortcut, spec.BlocksPerStage[0]));
        Assert.Equal(name, spec.Name);
    }

    [Fact]
    public void Plain_twins_have_the_same_layers()
    {
        Assert.Equal("plain56", ModelZoo.PlainTwin("resnet56").Name);
        Assert.Equal("plain34", ModelZoo.PlainTwin("resnet34").Name);
        Assert.Equal("plain38", ModelZoo.PlainTwin("resnet38").Name);
        Assert.Equal(ModelZoo.Spec("resnet56").ExpectedParameters(), ModelZoo.PlainTwin("resnet56").ExpectedParameters());
        Assert.Throws<ArgumentException>(() => ModelZoo.PlainTwin("resnet50"));
    }

    [Fact]
    public void Unknown_names_list_what_is_known()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelZoo.Spec("resnet21"));
        Assert.Contains("registered: resnet20", e.Message);
        Assert.Throws<ArgumentException>(() => ModelZoo.Spec("plain11-bottleneck"));   // no plain bottleneck nets
    }

    [Fact]
    public void Pre_activation_nets_have_the_identity_mappings_papers_sizes()
    {
        // The printed counts are those of the conv and fc weights: BN's γ and β (2 per channel of every BN) are left out
        // — for ResNet-1001 that is 10.18M printed as "10.2M", 10.33M with them; for 110 and 164 both round to 1.7M.
        foreach (var row in IdentityMappingsNumbers.Cifar10)
        {
            var spec = ModelZoo.Spec(row.Model);
            Assert.True(spec.PreActivation);
            Assert.Equal(row.Depth, spec.Depth);
            using var net = ModelZoo.Create(row.Model);
            Assert.Equal(spec.ExpectedParameters(), Complexity.CountParameters(net));
            var weights = net.named_parameters().Where(p => !p.name.Split('.')[^2].StartsWith("bn", StringComparison.Ordinal)).Sum(p => p.parameter.numel());
            Assert.Equal(row.ParamsMillions, Math.Round(weights / 1e6, 1));
        }
        using var model = ModelZoo.Create("preact-resnet164");
        Assert.Equal(ModelZoo.Spec("preact-resnet164").ExpectedParameters(), Complexity.CountParameters(model));
        Assert.Contains("layer1.0.downsample.0.weight", model.state_dict().Keys);   // bearpaw/pytorch-classification names
        Assert.Contains("bn.running_var", model.state_dict().Keys);
        Assert.Contains("fc.weight", model.state_dict().Keys);
        Assert.Throws<ArgumentException>(() => ModelZoo.Create("preact-resnet110", ShortcutOption.A));
    }
}
