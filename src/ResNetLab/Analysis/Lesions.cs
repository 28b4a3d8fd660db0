using ResNetLab.Models;
using ResNetLab.Training;
using static TorchSharp.torch;

namespace ResNetLab.Analysis;

/// <summary>
/// The lesion study and the path view of Veit, Wilber, Belongie (NeurIPS 2016) on a trained net: delete blocks at test
/// time (<see cref="Lesion"/>), and measure the gradient that reaches the input through paths of one length
/// (<see cref="RoutePath"/>). Both are built from outside the model, on each block's <see cref="ResidualBlock.Branch"/>,
/// <see cref="ResidualBlock.ShortcutOf"/> and <see cref="ResidualBlock.Join"/> (<see cref="ResNetModel.BlockForward"/>).
/// </summary>
public static class Lesions
{
    /// <summary>
    /// Delete the residual branches of the named blocks (e.g. "layer2.3") until the returned object is disposed —
    /// evaluation-time surgery, no retraining. A deleted block passes only its shortcut: ReLU(shortcut(x)) instead of
    /// ReLU(F(x) + shortcut(x)) (the shortcut alone in a pre-activation block, which has no ReLU after the addition).
    /// Where a block changes resolution or width its shortcut is what it always was (option A: stride-2 subsampling and
    /// zero channels; B/C: the projection). A plain block, which has no shortcut, is bridged the same parameter-free way
    /// (identity, or option A's mapping where the shape changes), so plain and residual nets lose exactly the same
    /// layers. Unknown names are an error.
    /// </summary>
    public static IDisposable Lesion(this ResNetModel model, params IEnumerable<string> blockNames)
    {
        var chosen = Known(model, blockNames);
        return Substitute(model, (name, block, x) => chosen.Contains(name) ? Bypass(block, x) : null);
    }

    /// <summary>The output of <paramref name="block"/> with its residual branch deleted (see <see cref="Lesion"/>).</summary>
    public static Tensor Bypass(ResidualBlock block, Tensor x)
    {
        using var passed = block.IsResidual ? block.ShortcutOf(x)
            : block.ChangesShape ? Bridge(block, x)
            : x.alias();
        return block.ActivatesAfterAddition ? passed.relu() : passed.alias();
    }

    /// <summary>Option A's parameter-free mapping for a plain block that changes shape (it has no shortcut of its own).</summary>
    static Tensor Bridge(ResidualBlock block, Tensor x)
    {
        using var bridge = new ZeroPadShortcut(block.InChannels, block.OutChannels, block.Stride);
        return bridge.call(x);
    }

    /// <summary>The named blocks, as a set; an unknown name is an error naming the model's blocks.</summary>
    static HashSet<string> Known(ResNetModel model, IEnumerable<string> names)
    {
        var chosen = names.ToHashSet(StringComparer.Ordinal);
        var unknown = chosen.Except(model.Blocks.Select(b => b.Name)).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"{model.Name} has no block '{unknown[0]}' (blocks: {model.Blocks[0].Name} … {model.Blocks[^1].Name})");
        return chosen;
    }

    /// <summary>Sets the model's <see cref="ResNetModel.BlockForward"/> until disposed; one study at a time.</summary>
    static IDisposable Substitute(ResNetModel model, Func<string, ResidualBlock, Tensor, Tensor?> forward)
    {
        if (model.BlockForward is not null) throw new InvalidOperationException($"{model.Name} is already under a lesion or a routed path: dispose that first");
        model.BlockForward = forward;
        return new Undo(() => model.BlockForward = null);
    }

    /// <summary>Test error (percent) of the model on the batches, in eval mode.</summary>
    public static double ErrorPercent(ResNetModel model, IReadOnlyList<(Tensor X, Tensor Y)> batches) =>
        100 * Evaluation.Evaluate(model, batches).Error;

    /// <summary>Fig. 3: delete each block in turn (the others intact) and measure the error on the batches.</summary>
    public static LesionSeries SingleBlocks(ResNetModel model, string label, IReadOnlyList<(Tensor X, Tensor Y)> batches)
    {
        var intact = ErrorPercent(model, batches);
        var deletions = new List<BlockLesion>();
        for (var i = 0; i < model.Blocks.Count; i++)
        {
            var (name, block) = model.Blocks[i];
            using (model.Lesion(name)) deletions.Add(new BlockLesion(name, i + 1, block.ChangesShape, ErrorPercent(model, batches)));
        }
        return new LesionSeries(label, model.IsResidual, intact, deletions);
    }

    /// <summary>
    /// Fig. 5 (a): for each k in <paramref name="deleteCounts"/>, delete k distinct blocks drawn at random
    /// (<paramref name="draws"/> draws per k, from <paramref name="seed"/>) and measure the error. k is capped at the
    /// number of blocks.
    /// </summary>
    public static RandomLesionSeries RandomBlocks(ResNetModel model, string label, IReadOnlyList<(Tensor X, Tensor Y)> batches,
                                                  IReadOnlyList<int> deleteCounts, int draws, long seed)
    {
        if (draws < 1) throw new ArgumentOutOfRangeException(nameof(draws), draws, "at least one draw per k");
        var rng = new Random(unchecked((int)seed));
        var names = model.Blocks.Select(b => b.Name).ToArray();
        var points = new List<RandomLesionPoint>();
        foreach (var k in deleteCounts.Where(k => k >= 1).Select(k => Math.Min(k, names.Length)).Distinct().Order())
        {
            var errors = new List<double>();
            for (var d = 0; d < draws; d++)
                using (model.Lesion(Sample(rng, names, k))) errors.Add(ErrorPercent(model, batches));
            points.Add(new RandomLesionPoint(k, errors));
        }
        return new RandomLesionSeries(label, ErrorPercent(model, batches), points);
    }

    /// <summary>k distinct items of <paramref name="items"/>, uniformly (a partial Fisher–Yates shuffle).</summary>
    static string[] Sample(Random rng, string[] items, int k)
    {
        var copy = (string[])items.Clone();
        for (var i = 0; i < k; i++)
        {
            var j = rng.Next(i, copy.Length);
            (copy[i], copy[j]) = (copy[j], copy[i]);
        }
        return copy[..k];
    }

    /// <summary>
    /// Route the backward pass along one path until disposed: the named blocks pass gradient only through their residual
    /// branch, every other block only through its shortcut (Veit et al. §6). Forward values are unchanged. Needs a
    /// residual net (a plain block has no shortcut to route through); unknown names are an error.
    /// </summary>
    public static IDisposable RoutePath(ResNetModel model, IEnumerable<string> throughBranch)
    {
        if (!model.IsResidual) throw new ArgumentException($"{model.Name} is a plain network: its blocks have no shortcut, so there are no paths to sample");
        var chosen = Known(model, throughBranch);
        // y = F(x) + shortcut(x.detach()) on the path, F(x.detach()) + shortcut(x) off it: same values, one way back.
        return Substitute(model, (name, block, x) =>
        {
            using var detached = x.detach();
            return chosen.Contains(name) ? block.Join(block.Branch(x), detached) : block.Join(block.Branch(detached), x);
        });
    }

    sealed class Undo(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }

    /// <summary>
    /// ∂L/∂x at the input images for the summed cross-entropy, in eval mode (BN's running statistics, so each image's
    /// gradient is its own), with whatever routing is set. The model's parameter gradients are left cleared.
    /// </summary>
    public static Tensor InputGradient(ResNetModel model, Tensor x, Tensor y)
    {
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var input = x.detach().clone().requires_grad_(true);
            using var loss = nn.functional.cross_entropy(model.call(input), y, reduction: nn.Reduction.Sum);
            loss.backward();
            var grad = input.grad!.detach().clone().MoveToOuterDisposeScope();
            model.zero_grad();
            return grad;
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>Share of the 2ⁿ paths through n blocks that pass exactly k residual branches: C(n, k) / 2ⁿ (binomial).</summary>
    public static double PathFraction(int n, int k)
    {
        if (k < 0 || k > n) return 0;
        double logChoose = 0;
        for (var i = 1; i <= k; i++) logChoose += Math.Log(n - k + i) - Math.Log(i);
        return Math.Exp(logChoose - n * Math.Log(2));
    }

    /// <summary>
    /// Fig. 6: for each path length k (0 … n, or <paramref name="lengths"/>), sample <paramref name="samplesPerLength"/>
    /// random sets of k blocks, route the backward pass through their branches only (<see cref="RoutePath"/>) and
    /// record the mean per-image ‖∂L/∂x‖ at the input; beside it the share of paths of that length.
    /// </summary>
    public static PathProfile PathGradients(ResNetModel model, string label, Tensor x, Tensor y, int samplesPerLength, long seed,
                                            IReadOnlyList<int>? lengths = null)
    {
        if (samplesPerLength < 1) throw new ArgumentOutOfRangeException(nameof(samplesPerLength), samplesPerLength, "at least one sample per length");
        var names = model.Blocks.Select(b => b.Name).ToArray();
        var n = names.Length;
        var wanted = (lengths ?? Enumerable.Range(0, n + 1).ToList()).Where(k => k >= 0 && k <= n).ToHashSet();
        var rng = new Random(unchecked((int)seed));
        var result = new List<PathLength>();
        for (var k = 0; k <= n; k++)
        {
            if (!wanted.Contains(k)) { result.Add(new PathLength(k, PathFraction(n, k), null, 0)); continue; }
            double sum = 0;
            for (var s = 0; s < samplesPerLength; s++)
            {
                using var route = RoutePath(model, Sample(rng, names, k));
                using var g = InputGradient(model, x, y);
                using var perImage = g.flatten(1).norm(1);
                sum += perImage.mean().item<float>();
            }
            result.Add(new PathLength(k, PathFraction(n, k), sum / samplesPerLength, samplesPerLength));
        }
        return new PathProfile(label, n, result);
    }
}

/// <summary>The lesion study over trained nets (notebook 07): loads each net's final weights and measures on test images.</summary>
public static class LesionStudy
{
    /// <summary>Fig. 3 for each net: delete every block in turn, error on the first <paramref name="images"/> test images.</summary>
    public static IReadOnlyList<LesionSeries> SingleBlocks(IReadOnlyList<TrainedNet> nets, int images, string? dataDir = null) =>
        nets.Select(net =>
        {
            var (model, normalization) = net.Load();
            using (model)
            using (var batches = ImageBatches.First(TrainedNets.Data(net, dataDir), normalization, images))
                return Lesions.SingleBlocks(model, net.Label, batches.Batches);
        }).ToList();

    /// <summary>Fig. 5 (a) for one net: error with k random blocks deleted, <paramref name="draws"/> draws per k.</summary>
    public static RandomLesionSeries RandomBlocks(TrainedNet net, int images, IReadOnlyList<int> deleteCounts, int draws, long seed, string? dataDir = null)
    {
        var (model, normalization) = net.Load();
        using (model)
        using (var batches = ImageBatches.First(TrainedNets.Data(net, dataDir), normalization, images))
            return Lesions.RandomBlocks(model, net.Label, batches.Batches, deleteCounts, draws, seed);
    }

    /// <summary>Fig. 6 for one residual net: gradient per path length on its first <paramref name="images"/> test images.</summary>
    public static PathProfile PathGradients(TrainedNet net, int images, int samplesPerLength, long seed, string? dataDir = null)
    {
        var (model, normalization) = net.Load();
        using (model)
        using (var batches = ImageBatches.First(TrainedNets.Data(net, dataDir), normalization, images, batchSize: images))
            return Lesions.PathGradients(model, net.Label, batches.Batches[0].X, batches.Batches[0].Y, samplesPerLength, seed);
    }
}
