using ResNetLab.Models;
using ResNetLab.Runtime;
using static TorchSharp.torch;

namespace ResNetLab.Analysis;

/// <summary>
/// One freshly initialised net's signal, block by block, on one batch (notebook 02's *Why deep nets start slow*).
/// </summary>
/// <param name="Label">Legend label: the model and its init.</param>
/// <param name="Model">Registry name.</param>
/// <param name="ZeroInit">Every residual branch started at zero (γ = 0 in its last BN).</param>
/// <param name="Blocks">Block names in forward order (layer1.0 …).</param>
/// <param name="StreamStd">Standard deviation of each block's output (the signal the next block receives).</param>
/// <param name="BranchOverShortcut">Each block's branch std over its shortcut's std at that block: how much the block
/// changes the signal it passes on (0 for a zero-init branch).</param>
public sealed record SignalGrowth(string Label, string Model, bool ZeroInit, IReadOnlyList<string> Blocks,
                                  IReadOnlyList<double> StreamStd, IReadOnlyList<double> BranchOverShortcut)
{
    /// <summary>The last block's output std over the first's: how much the signal grew through the net.</summary>
    public double Growth => StreamStd[^1] / StreamStd[0];
}

/// <summary>
/// De &amp; Smith (NeurIPS 2020): at initialisation each BN-scaled residual branch adds a signal of about unit variance
/// to what its shortcut carries, so the signal's variance grows with every block — a 56-layer ResNet starts as the sum
/// of 27 random branches, a 20-layer one of 9. Started at zero (Goyal et al. 2017), every branch adds nothing and every
/// net starts as its shortcuts. Measured here without training: each net built exactly as a run of that seed starts,
/// BN in training mode (batch statistics, as the first step sees them), one forward pass of one batch.
/// </summary>
public static class SignalAtInit
{
    /// <summary>
    /// Each of <paramref name="models"/> (residual nets) with the paper's init and started at zero, measured on
    /// <paramref name="images"/> (normalised training images, e.g. <see cref="GradientFlowAnalysis.FixedBatch"/>).
    /// </summary>
    public static IReadOnlyList<SignalGrowth> Measure(IEnumerable<string> models, Tensor images, long seed = 0)
    {
        var result = new List<SignalGrowth>();
        foreach (var name in models)
        {
            var spec = ModelZoo.Spec(name);
            if (!spec.Residual) throw new ArgumentException($"{name} is a plain network: the signal study compares residual branches started two ways");
            foreach (var zero in new[] { false, true })
                result.Add(MeasureOne(spec, zero, images, seed));
        }
        return result;
    }

    static SignalGrowth MeasureOne(ModelSpec spec, bool zeroInit, Tensor images, long seed)
    {
        TorchRuntime.Seed(seed);   // the initial weights of a run of this seed (TrainingSession seeds the same way)
        using var model = ModelZoo.Create(spec.Name, new ModelOptions(ZeroInitResidual: zeroInit));
        model.train();   // batch statistics; the running ones this pass updates are thrown away with the model
        var blocks = new List<string>();
        var stream = new List<double>();
        var ratio = new List<double>();
        model.BlockForward = (name, block, x) =>
        {
            using var scope = NewDisposeScope();
            var branch = block.Branch(x);
            var shortcut = block.ShortcutOf(x);
            ratio.Add(branch.std().item<float>() / shortcut.std().item<float>());   // before Join, which adds into the branch in place
            var output = block.Join(branch, x);
            blocks.Add(name);
            stream.Add(output.std().item<float>());
            return output.MoveToOuterDisposeScope();
        };
        using (no_grad())
        using (var logits = model.call(images)) { }
        model.BlockForward = null;
        var label = $"{spec.Name} · {(zeroInit ? "zero-init" : "paper init")}";
        return new SignalGrowth(label, spec.Name, zeroInit, blocks, stream, ratio);
    }

    /// <summary>One line per net and init: block index (1 = the first block) against the std of its output.</summary>
    public static IReadOnlyList<LineSeries> StreamLines(IReadOnlyList<SignalGrowth> nets)
    {
        var models = nets.Select(n => n.Model).Distinct().ToList();   // one colour per net, both inits
        return nets.Select(n => new LineSeries(n.Label, [.. Enumerable.Range(1, n.Blocks.Count).Select(k => (double)k)], n.StreamStd,
            Dashed: n.ZeroInit, ColorIndex: models.IndexOf(n.Model))).ToList();
    }
}
