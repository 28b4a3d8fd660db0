using ResNetLab.Runtime;
using Microsoft.Data.Analysis;
using ResNetLab.Data;
using static TorchSharp.torch;

namespace ResNetLab.Analysis;

/// <summary>
/// One network's per-layer gradients at the end of training, on notebook 08's fixed batch: a fully trained reference
/// net, or the last snapshot of one of the student's runs.
/// </summary>
/// <param name="Label">Legend label saying whose net it is and how far it trained.</param>
/// <param name="Depth">Layers as the paper counts them.</param>
/// <param name="Residual">With shortcuts.</param>
/// <param name="IsReference">A published, fully trained net rather than one of the student's runs.</param>
/// <param name="Layers">Weighted layers (convs, then the classifier) in forward order.</param>
public sealed record TrainedGradients(string Label, int Depth, bool Residual, bool IsReference, IReadOnlyList<GradientFlow.LayerGradient> Layers)
{
    /// <summary>‖∂L/∂W‖ of the first conv over that of the last conv: ≫ 1 gradients grow towards the input, ≪ 1 they shrink.</summary>
    public double FirstOverLastConv => GradientFlow.FirstOverLastConv(Layers);

    /// <summary>The median over layers of ‖∂L/∂W‖ / ‖W‖.</summary>
    public double MedianRatio => Stats.Median(Layers.Select(l => l.Ratio));

    /// <summary>The largest ‖∂L/∂W‖ / ‖W‖ of any layer.</summary>
    public double LargestRatio => Layers.Count == 0 ? double.NaN : Layers.Max(l => l.Ratio);
}

/// <summary>
/// Gradient flow at the end of training (notebook 08, issue 22): the fully trained reference nets measured on the same
/// fixed batch as the student's snapshots — each normalised as its own net was trained — beside the last snapshot of each
/// of the student's runs. At `quick` the student's nets stop early; the reference nets show where training ends.
/// </summary>
public static class TrainedGradientStudy
{
    /// <summary>
    /// Each trained net's per-layer gradients on the first <paramref name="images"/> training images of its dataset
    /// (normalised with the net's own normalisation; BN in training mode, its statistics restored).
    /// </summary>
    public static IReadOnlyList<TrainedGradients> Measure(IReadOnlyList<TrainedNet> nets, int images, string? dataDir = null)
    {
        var data = new Dictionary<CifarFormat, CifarData>();
        var result = new List<TrainedGradients>();
        foreach (var net in nets)
        {
            if (!data.TryGetValue(net.Format, out var set)) data[net.Format] = set = TrainedNets.Data(net, dataDir);
            using var scope = NewDisposeScope();
            var (model, normalization) = net.Load();
            using (model)
            {
                var (x, y) = GradientFlowAnalysis.FixedBatch(set, normalization, images);
                result.Add(new TrainedGradients(net.Label, net.Spec.Depth, net.Spec.Residual, net.IsReference, GradientFlow.Measure(model, x, y)));
            }
        }
        return result;
    }

    /// <summary>The last snapshot of each of the student's runs (already measured by <see cref="GradientFlowAnalysis.Measure"/>).</summary>
    public static IReadOnlyList<TrainedGradients> LastSnapshots(IReadOnlyList<GradientFlowSeries> series) =>
        series.Where(s => s.Iterations.Count > 0)
              .Select(s => new TrainedGradients($"{s.Label} · yours, iteration {s.Iterations[^1]:N0}", s.Depth, s.Residual, IsReference: false, s.Gradients[^1]))
              .ToList();

    /// <summary>
    /// ‖∂L/∂W‖ / ‖W‖ of every layer against its position in the net (0 = first conv, 1 = classifier): the student's plain
    /// nets dashed, every ResNet solid, one colour per line.
    /// </summary>
    public static IReadOnlyList<LineSeries> RatioByLayer(IReadOnlyList<TrainedGradients> nets) =>
        nets.Select((n, i) => new LineSeries(n.Label,
                Enumerable.Range(0, n.Layers.Count).Select(l => (double)l / Math.Max(1, n.Layers.Count - 1)).ToList(),
                n.Layers.Select(g => g.Ratio).ToList(), Dashed: !n.Residual, ColorIndex: i))
            .ToList();

    /// <summary>One row per net: whose, weighted layers, first-over-last-conv gradient, median and largest ratio.</summary>
    public static DataFrame Table(IReadOnlyList<TrainedGradients> nets)
    {
        static string Sci(double v) => v.ToString("0.00e+0", System.Globalization.CultureInfo.InvariantCulture);
        return new DataFrame(
            new StringDataFrameColumn("network", nets.Select(n => n.Label)),
            new StringDataFrameColumn("whose", nets.Select(n => n.IsReference ? "fully trained (reference)" : "yours")),
            new Int32DataFrameColumn("weighted layers", nets.Select(n => n.Layers.Count)),
            new StringDataFrameColumn("first conv ÷ last conv ‖∂L/∂W‖", nets.Select(n => Sci(n.FirstOverLastConv))),
            new StringDataFrameColumn("median ‖∂L/∂W‖/‖W‖", nets.Select(n => Sci(n.MedianRatio))),
            new StringDataFrameColumn("largest ‖∂L/∂W‖/‖W‖", nets.Select(n => Sci(n.LargestRatio))));
    }
}
