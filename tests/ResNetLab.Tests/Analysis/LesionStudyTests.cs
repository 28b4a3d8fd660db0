using ResNetLab.Analysis;
using ResNetLab.Models;
using static TorchSharp.torch.nn;
using static TorchSharp.torch;

namespace ResNetLab.Tests.Analysis;

/// <summary>Veit et al. (NeurIPS 2016) on tiny nets: deletions against a hand-written forward pass, and path sampling.</summary>
public class LesionStudyTests
{
    public LesionStudyTests() => Models.Torch.Up();

    static Module<Tensor, Tensor> Child(Module m, string name) =>
        (Module<Tensor, Tensor>)m.named_children().Single(c => c.name == name).module;

    /// <summary>F(h) of a basic block, from its own layers: bn2(conv2(relu(bn1(conv1(h))))).</summary>
    static Tensor Branch(Module block, Tensor h) =>
        Child(block, "bn2").call(Child(block, "conv2").call(Child(block, "bn1").call(Child(block, "conv1").call(h)).relu()));

    /// <summary>The block's shortcut (identity, or option A's subsample + zero channels), from its own module.</summary>
    static Tensor Skip(Module block, Tensor h) =>
        block.named_children().Any(c => c.name == "shortcut") ? Child(block, "shortcut").call(h) : h;

    /// <summary>
    /// The whole CIFAR net written out by hand (NCHW, eval mode): stem, blocks, pooling, classifier. A deleted block
    /// outputs ReLU(shortcut(h)); <paramref name="route"/> says per block whether the gradient may take the branch
    /// (true), the shortcut (false) or both (null) — detaching the other input, as Veit et al.'s sampling does.
    /// </summary>
    static Tensor ByHand(ResNetModel model, Tensor x, ISet<string>? deleted = null, Func<string, bool?>? route = null)
    {
        var h = Child(model, "bn1").call(Child(model, "conv1").call(x)).relu();
        foreach (var (name, block) in model.Blocks)
        {
            if (deleted?.Contains(name) == true) { h = Skip(block, h).relu(); continue; }
            var r = route?.Invoke(name);
            var f = Branch(block, r == false ? h.detach() : h);
            var s = Skip(block, r == true ? h.detach() : h);
            h = (f + s).relu();
        }
        return Child(model, "linear").call(h.mean([2, 3]));
    }

    [Theory]
    [InlineData("layer1.1")]   // identity shortcut
    [InlineData("layer2.0")]   // halves the map: option A's subsampling and zero channels carry the signal
    public void Deleting_a_block_gives_the_hand_written_net_without_that_F_and_is_undone_on_dispose(string block)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(7);
        using var model = ModelZoo.Create("resnet14");
        model.eval();
        using var _ = no_grad();
        var x = randn(3, 3, 32, 32);
        var intact = model.call(x);
        Assert.True((intact - ByHand(model, x)).abs().max().item<float>() < 1e-4, "the hand-written net is not the model");
        Tensor lesioned;
        using (model.Lesion(block)) lesioned = model.call(x);
        var expected = ByHand(model, x, new HashSet<string> { block });
        Assert.True((lesioned - expected).abs().max().item<float>() < 1e-4, $"deleting {block} is not removing its F(x)");
        Assert.True((lesioned - intact).abs().max().item<float>() > 1e-3, "the deletion changed nothing");
        Assert.True(model.call(x).eq(intact).all().item<bool>(), "the deletion was not undone");
    }

    [Fact]
    public void Single_deletions_measure_every_block_once_and_mark_the_ones_that_change_shape()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(8);
        using var model = ModelZoo.Create("resnet14");
        model.eval();
        var batches = new List<(Tensor, Tensor)> { (randn(20, 3, 32, 32), randint(0, 10, [20])) };
        var series = Lesions.SingleBlocks(model, "resnet14", batches);
        Assert.Equal(model.Blocks.Select(b => b.Name), series.Deletions.Select(d => d.Block));
        Assert.Equal(["layer2.0", "layer3.0"], series.Deletions.Where(d => d.ChangesShape).Select(d => d.Block));
        Assert.Equal(Lesions.ErrorPercent(model, batches), series.IntactErrorPercent);
        using (model.Lesion("layer3.1"))
            Assert.Equal(Lesions.ErrorPercent(model, batches), series.Deletions.Single(d => d.Block == "layer3.1").ErrorPercent);
        Assert.Null(model.BlockForward);

        var randomSeries = Lesions.RandomBlocks(model, "resnet14", batches, [1, 3, 99], draws: 2, seed: 1);
        Assert.Equal([1, 3, 6], randomSeries.Points.Select(p => p.Deleted));   // k is capped at the 6 blocks
        Assert.All(randomSeries.Points, p => Assert.Equal(2, p.ErrorsPercent.Count));
        using (model.Lesion(model.Blocks.Select(b => b.Name)))   // all six deleted: every draw of k = 6 is this net
            Assert.Equal(Lesions.ErrorPercent(model, batches), randomSeries.Points[^1].ErrorsPercent[0]);
    }

    [Fact]
    public void Path_sampling_keeps_the_forward_pass_and_its_routes_add_up_to_the_whole_gradient()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(9);
        using var model = ModelZoo.Create("resnet8");   // three blocks: 2³ = 8 paths
        model.eval();
        var x = randn(2, 3, 32, 32);
        var y = randint(0, 10, [2]);
        var names = model.Blocks.Select(b => b.Name).ToArray();
        var whole = Lesions.InputGradient(model, x, y);

        Tensor forward;
        using (no_grad()) forward = model.call(x);
        using (Lesions.RoutePath(model, [names[1]]))
        using (no_grad())
            Assert.True((model.call(x) - forward).abs().max().item<float>() < 1e-6, "routing changed the forward values");

        // k = 0 (shortcuts only) and k = n (branches only) against the hand-written net with the same detaches
        Tensor HandGradient(bool branch)
        {
            var input = x.clone().requires_grad_(true);
            nn.functional.cross_entropy(ByHand(model, input, route: _ => branch), y, reduction: nn.Reduction.Sum).backward();
            return input.grad!;
        }
        using (Lesions.RoutePath(model, []))
            AssertClose(HandGradient(branch: false), Lesions.InputGradient(model, x, y), "k = 0");
        using (Lesions.RoutePath(model, names))
            AssertClose(HandGradient(branch: true), Lesions.InputGradient(model, x, y), "k = n");

        // With the forward pass fixed the backward is linear: the 2ⁿ single-path gradients sum to the whole gradient.
        var sum = zeros_like(whole);
        for (var mask = 0; mask < 1 << names.Length; mask++)
            using (Lesions.RoutePath(model, names.Where((_, i) => (mask >> i & 1) == 1)))
                sum += Lesions.InputGradient(model, x, y);
        AssertClose(whole, sum, "sum over paths");
        Assert.Null(model.BlockForward);
        using (Lesions.RoutePath(model, []))
            Assert.Throws<InvalidOperationException>(() => model.Lesion(names[0]));   // one study at a time
        Assert.Throws<ArgumentException>(() => Lesions.RoutePath(model, ["layer7.0"]));
        using var plain = ModelZoo.Create("plain8");
        Assert.Throws<ArgumentException>(() => Lesions.RoutePath(plain, []));
    }

    static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        var scale = expected.abs().max().item<float>();
        var error = (expected - actual).abs().max().item<float>();
        Assert.True(scale > 0, $"{what}: zero gradient");
        Assert.True(error <= 1e-4 * scale, $"{what}: differs by {error:E2} (scale {scale:E2})");
    }

    [Fact]
    public void Path_profile_has_the_binomial_share_of_paths_and_one_gradient_per_sampled_length()
    {
        Assert.Equal(1.0, Enumerable.Range(0, 55).Sum(k => Lesions.PathFraction(54, k)), 9);
        Assert.Equal(10.0 / 32, Lesions.PathFraction(5, 2), 12);
        Assert.Equal(0, Lesions.PathFraction(5, 6));

        using var scope = NewDisposeScope();
        random.manual_seed(10);
        using var model = ModelZoo.Create("resnet8");
        model.eval();
        var profile = Lesions.PathGradients(model, "resnet8", randn(2, 3, 32, 32), randint(0, 10, [2]), samplesPerLength: 2, seed: 0, lengths: [0, 3]);
        Assert.Equal(3, profile.Blocks);
        Assert.Equal([0, 1, 2, 3], profile.Lengths.Select(l => l.Length));
        Assert.Equal([2, 0, 0, 2], profile.Lengths.Select(l => l.Samples));
        Assert.Null(profile.Lengths[1].GradientNorm);
        Assert.True(profile.Lengths[0].GradientNorm > 0 && profile.Lengths[3].GradientNorm > 0);
        Assert.Equal(profile.Lengths[3].GradientNorm!.Value / 8, profile.Lengths[3].Contribution!.Value, 12);
    }
}
