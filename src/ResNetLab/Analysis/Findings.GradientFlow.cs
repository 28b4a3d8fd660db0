using ResNetLab.Models;
using ResNetLab.Training;

namespace ResNetLab.Analysis;

/// <summary>Notebook 08: gradients at initialisation, shattering with depth, and the case for ResNet-110's warm-up.</summary>
/// <param name="AtInitialisation">Per trained network, its gradients at snapshot 0.</param>
/// <param name="Correlation">Per depth, plain vs residual gradient correlation between neighbouring points of a line.</param>
/// <param name="PlainShattersFaster">At every depth the plain net's neighbouring gradients are less correlated than the ResNet's,
/// and from the shallowest to the deepest depth the plain net's correlation falls by more.</param>
/// <param name="Warmup">The ResNets' largest relative step at the paper's rate, by depth; null without two ResNets.</param>
public sealed record GradientFlowFacts(IReadOnlyList<InitialGradients> AtInitialisation, IReadOnlyList<CorrelationPair> Correlation,
                                       bool PlainShattersFaster, WarmupFacts? Warmup);

/// <summary>One network's per-layer gradients at initialisation (snapshot 0, the fixed batch).</summary>
/// <param name="Label">The network.</param>
/// <param name="Depth">Layers.</param>
/// <param name="Residual">With shortcuts.</param>
/// <param name="FirstOverLastConv">‖∂L/∂W‖ of the first conv over that of the last conv: ≫ 1, gradients explode towards the input; ≪ 1, they vanish.</param>
/// <param name="MedianRatio">Median over layers of ‖∂L/∂W‖ / ‖W‖.</param>
/// <param name="MaxRatio">Largest ‖∂L/∂W‖ / ‖W‖ of any layer.</param>
/// <param name="MaxRatioLayer">The layer that has it.</param>
public sealed record InitialGradients(string Label, int Depth, bool Residual, double FirstOverLastConv, double MedianRatio, double MaxRatio, string MaxRatioLayer)
{
    /// <summary>The first conv's gradient is more than <see cref="Findings.GradientSpreadFactor"/> times the last conv's: gradients explode towards the input.</summary>
    public bool Explodes => FirstOverLastConv > Findings.GradientSpreadFactor;

    /// <summary>The first conv's gradient is less than 1 / <see cref="Findings.GradientSpreadFactor"/> of the last conv's: gradients vanish towards the input.</summary>
    public bool Vanishes => FirstOverLastConv < 1 / Findings.GradientSpreadFactor;
}

/// <summary>The largest ‖∂L/∂W‖ / ‖W‖ of any layer of one ResNet at initialisation.</summary>
/// <param name="Depth">Layers of the ResNet.</param>
/// <param name="MaxRatio">Its largest ratio at snapshot 0.</param>
public sealed record DepthRatio(int Depth, double MaxRatio);

/// <summary>Gradient correlation between neighbouring points of a line, plain vs residual, at one depth.</summary>
/// <param name="Depth">Layers of both nets.</param>
/// <param name="Distance">Distance between the neighbouring points (× ‖x₀‖).</param>
/// <param name="Plain">The plain net's mean correlation at that distance.</param>
/// <param name="Residual">The ResNet's.</param>
public sealed record CorrelationPair(int Depth, double Distance, double Plain, double Residual);

/// <summary>
/// Why 110 layers get the warm-up (§4.2): the largest relative change one SGD step at lr 0.1 would make to a layer
/// (0.1 × ‖∂L/∂W‖ / ‖W‖) at initialisation, by ResNet depth; and for the deepest, what the warm-up's rate makes of it.
/// </summary>
/// <param name="ByDepth">The largest ratio at initialisation of each ResNet, shallow to deep.</param>
/// <param name="GrowsWithDepth">The largest ratio grows from the shallowest to the deepest ResNet.</param>
/// <param name="Deepest">Depth of the deepest ResNet measured.</param>
/// <param name="StepAtFullRate">0.1 × its largest ratio: the fraction of that layer's weights the first step would change at the paper's rate.</param>
/// <param name="StepAtWarmupRate">The same at the warm-up rate (0.01).</param>
/// <param name="WarmupEndedAt">When the deepest ResNet's run left the warm-up (notebook 05); null if it had none or it never ended.</param>
/// <param name="RatioAfterWarmup">Its largest ratio at the first snapshot at or after that iteration; null without one.</param>
/// <param name="SnapshotAfterWarmup">That snapshot's iteration.</param>
/// <param name="RateAfterWarmup">The rate the run trained with right after that snapshot (from its metrics): 0.1, or less when a
/// short schedule's first ÷10 came before the warm-up ended (then the net never trained at 0.1); null when unknown.</param>
public sealed record WarmupFacts(IReadOnlyList<DepthRatio> ByDepth, bool GrowsWithDepth, int Deepest,
                                 double StepAtFullRate, double StepAtWarmupRate, int? WarmupEndedAt, double? RatioAfterWarmup, int? SnapshotAfterWarmup,
                                 double? RateAfterWarmup = null)
{
    /// <summary>The warm-up lasted until the schedule had already decayed: this run never trained at the paper's 0.1.</summary>
    public bool NeverSawFullRate => RateAfterWarmup is { } r && r < TrainingRecipe.Paper.LearningRate * 0.99;
}

public static partial class Findings
{
    /// <summary>
    /// Notebook 08: gradients explode (or vanish) towards the input when the first conv's ‖∂L/∂W‖ is more than this many
    /// times (or less than one over this many times) the last conv's — "over two orders of magnitude".
    /// </summary>
    public const double GradientSpreadFactor = 100;

    /// <summary>Notebook 08: computed from the snapshot measurements, the line study and the deepest ResNet's warm-up switch.</summary>
    public static GradientFlowFacts GradientFlow(IReadOnlyList<GradientFlowSeries> flow, IReadOnlyList<(ModelSpec Spec, CorrelationCurve Curve)> lines,
                                                 int? deepestWarmupEndedAt)
    {
        var initial = flow.Where(s => s.Iterations.Count > 0 && s.Iterations[0] == 0).Select(s =>
        {
            var g = s.Gradients[0];
            var max = g.MaxBy(l => l.Ratio)!;
            return new InitialGradients(s.Label, s.Depth, s.Residual, Analysis.GradientFlow.FirstOverLastConv(g),
                s.MedianRatio[0], max.Ratio, max.Layer);
        }).ToList();

        var pairs = lines.GroupBy(l => l.Spec.Depth).Select(g =>
        {
            var plain = g.FirstOrDefault(l => !l.Spec.Residual).Curve;
            var residual = g.FirstOrDefault(l => l.Spec.Residual).Curve;
            return plain is null || residual is null || plain.Correlation.Count < 2 ? null
                : new CorrelationPair(g.Key, plain.Distances[1], plain.Correlation[1], residual.Correlation[1]);
        }).OfType<CorrelationPair>().OrderBy(p => p.Depth).ToList();
        var shatters = pairs.Count >= 2 && pairs.All(p => p.Plain < p.Residual) &&
                       pairs[0].Plain - pairs[^1].Plain > pairs[0].Residual - pairs[^1].Residual;

        WarmupFacts? warmup = null;
        var resnets = flow.Zip(initial).Where(p => p.First.Residual).OrderBy(p => p.First.Depth).ToList();
        if (resnets.Count >= 2)
        {
            var deepest = resnets[^1];
            var full = TrainingRecipe.Paper.LearningRate;
            var after = deepestWarmupEndedAt is { } w ? deepest.First.Iterations.Select((it, i) => (it, i)).FirstOrDefault(p => p.it >= w) : default;
            var hasAfter = deepestWarmupEndedAt is not null && after.it >= deepestWarmupEndedAt && after.i > 0;
            warmup = new WarmupFacts(resnets.Select(p => new DepthRatio(p.First.Depth, p.Second.MaxRatio)).ToList(),
                resnets[^1].Second.MaxRatio > resnets[0].Second.MaxRatio, deepest.First.Depth,
                full * deepest.Second.MaxRatio, WarmupRule.Paper.LearningRate * deepest.Second.MaxRatio, deepestWarmupEndedAt,
                hasAfter ? deepest.First.Gradients[after.i].Max(l => l.Ratio) : null, hasAfter ? after.it : null,
                hasAfter && after.i < deepest.First.LearningRates.Count && !double.IsNaN(deepest.First.LearningRates[after.i])
                    ? deepest.First.LearningRates[after.i] : null);
        }
        return new GradientFlowFacts(initial, pairs, shatters, warmup);
    }
}
