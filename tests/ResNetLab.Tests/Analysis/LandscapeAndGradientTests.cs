using ResNetLab.Analysis;
using ResNetLab.Models;
using static TorchSharp.torch;

namespace ResNetLab.Tests.Analysis;

/// <summary>Filter normalisation (Li et al. 2018), moving along directions, and per-layer gradient norms.</summary>
public class LandscapeAndGradientTests
{
    public LandscapeAndGradientTests() => Models.Torch.Up();

    [Fact]
    public void Filter_normalised_directions_have_each_filters_norm_and_leave_bn_alone()
    {
        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create("resnet8", ShortcutOption.B);
        var d = LossLandscape.FilterNormalizedDirection(model, seed: 3);
        foreach (var (name, p) in model.named_parameters())
        {
            if (p.dim() <= 1)
            {
                Assert.Equal(0f, d[name].abs().max().item<float>());   // BN γ/β and biases: not moved
                continue;
            }
            var ours = d[name].flatten(1).norm(1);
            var theirs = p.flatten(1).norm(1);
            var error = ((ours - theirs).abs() / theirs).max().item<float>();
            Assert.True(error < 1e-5, $"{name}: filter norms differ by {error:E2} (relative)");
        }
        var again = LossLandscape.FilterNormalizedDirection(model, seed: 3);
        var other = LossLandscape.FilterNormalizedDirection(model, seed: 4);
        Assert.True(again["conv1.weight"].eq(d["conv1.weight"]).all().item<bool>());    // a seed is a direction
        Assert.False(other["conv1.weight"].eq(d["conv1.weight"]).all().item<bool>());
    }

    [Fact]
    public void Moving_along_directions_is_exact_and_returns_to_the_origin()
    {
        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create("resnet8");
        var origin = LossLandscape.Snapshot(model);
        var d1 = LossLandscape.FilterNormalizedDirection(model, 1);
        var d2 = LossLandscape.FilterNormalizedDirection(model, 2);
        LossLandscape.MoveTo(model, origin, (0.5, d1), (-0.25, d2));
        var w = model.named_parameters().First(p => p.name == "layer2.0.conv1.weight").parameter;
        var expected = origin["layer2.0.conv1.weight"] + 0.5 * d1["layer2.0.conv1.weight"] - 0.25 * d2["layer2.0.conv1.weight"];
        Assert.True((w - expected).abs().max().item<float>() < 1e-6);
        LossLandscape.MoveTo(model, origin);
        Assert.All(model.named_parameters(), p => Assert.True(p.parameter.eq(origin[p.name]).all().item<bool>()));
    }

    [Fact]
    public void Gradient_norms_are_those_of_autograd_and_leave_the_model_unchanged()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(5);
        using var model = ModelZoo.Create("resnet8");
        var x = randn(8, 3, 32, 32);
        var y = randint(0, 10, [8]);
        var runningBefore = model.named_buffers().ToDictionary(b => b.name, b => b.buffer.clone());
        var flow = GradientFlow.Measure(model, x, y);
        // Measuring does not train: BN statistics as before, no gradient left behind.
        foreach (var (name, buffer) in model.named_buffers())
            Assert.True(buffer.eq(runningBefore[name]).all().item<bool>(), $"{name} changed");
        Assert.All(model.parameters(), p => Assert.True(p.grad is null || p.grad.abs().max().item<float>() == 0));

        model.train();
        model.zero_grad();
        nn.functional.cross_entropy(model.call(x), y).backward();
        var weighted = model.named_parameters().Where(p => p.parameter.dim() >= 2).ToList();
        Assert.Equal(weighted.Select(p => p.name), flow.Select(f => f.Layer));
        foreach (var (f, (_, p)) in flow.Zip(weighted))
        {
            Assert.Equal(p.grad!.norm().item<float>(), f.GradientNorm, 4);
            Assert.Equal(p.norm().item<float>(), f.WeightNorm, 4);
            Assert.True(f.Ratio > 0);
        }
    }
}
