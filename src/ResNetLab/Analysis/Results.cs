namespace ResNetLab.Analysis;

// What the analyses measure, as plain records: Analysis computes them, Charts draws them (data → analysis → charts).

/// <summary>A matrix to draw as a heatmap: rows (y, bottom to top) by columns (x), already in the colour's units.</summary>
/// <param name="Label">Subplot title (the network).</param>
/// <param name="Columns">Column labels, left to right (e.g. snapshot iterations).</param>
/// <param name="Rows">Row labels, bottom to top (e.g. layers, input to output); shown on hover.</param>
/// <param name="Values">Values[row][column].</param>
public sealed record Heatmap(string Label, IReadOnlyList<string> Columns, IReadOnlyList<string> Rows, IReadOnlyList<IReadOnlyList<double>> Values);

/// <summary>Correlation of input gradients against the distance between the inputs (shattered gradients).</summary>
/// <param name="Label">The network.</param>
/// <param name="Distances">Distance between the two inputs, in units of the line's start image norm.</param>
/// <param name="Correlation">Mean correlation of the gradients at that distance (1 at distance 0).</param>
public sealed record CorrelationCurve(string Label, IReadOnlyList<double> Distances, IReadOnlyList<double> Correlation);

/// <summary>One line of a generic line chart.</summary>
/// <param name="Label">Legend name.</param>
/// <param name="X">x values.</param>
/// <param name="Y">y values.</param>
/// <param name="Dashed">Dashed (e.g. the plain net of a plain/residual pair).</param>
/// <param name="ColorIndex">Colour position in the charts' palette; pairs share one.</param>
public sealed record LineSeries(string Label, IReadOnlyList<double> X, IReadOnlyList<double> Y, bool Dashed = false, int ColorIndex = 0);

/// <summary>Error curves of one trained network (percent), as read from its run record.</summary>
public sealed record ErrorCurve(string Label, IReadOnlyList<double> Iterations, IReadOnlyList<double> TrainErrorPercent,
                                IReadOnlyList<double> TestErrorPercent);

/// <summary>A value of ours beside the paper's (null where the paper gives none).</summary>
public sealed record Comparison(string Label, double Ours, double? Paper);

/// <summary>One network's layer-response standard deviations (Fig. 7), in layer order.</summary>
public sealed record ResponseSeries(string Label, IReadOnlyList<double> Std);

/// <summary>The loss along one line through weight space: θ(α) = origin + α·direction.</summary>
/// <param name="Label">The net, e.g. ResNet-56.</param>
/// <param name="Direction">What the line is, e.g. "initialisation → trained" or "random (filter-normalised)".</param>
/// <param name="Alpha">The coefficients evaluated, increasing.</param>
/// <param name="Loss">Mean cross-entropy at each α.</param>
/// <param name="ErrorPercent">Error at each α (percent).</param>
public sealed record LossLine(string Label, string Direction, IReadOnlyList<double> Alpha, IReadOnlyList<double> Loss, IReadOnlyList<double> ErrorPercent);

/// <summary>The loss on a plane θ* + α·d₁ + β·d₂ (Li et al. 2018): <c>Loss[j][i]</c> at (α = Alpha[i], β = Beta[j]).</summary>
/// <param name="Label">The net.</param>
/// <param name="Alpha">Coordinates along d₁ (increasing, symmetric around 0).</param>
/// <param name="Beta">Coordinates along d₂.</param>
/// <param name="Loss">Rows by β, columns by α (Plotly's z layout).</param>
public sealed record LossSurface(string Label, IReadOnlyList<double> Alpha, IReadOnlyList<double> Beta, IReadOnlyList<IReadOnlyList<double>> Loss);

/// <summary>The test error of a trained net with one block deleted (Veit et al. 2016, Fig. 3).</summary>
/// <param name="Block">The block's name, e.g. layer2.0.</param>
/// <param name="Index">Its position in forward order, from 1.</param>
/// <param name="ChangesShape">The block halves the map and widens it (the first of stages 2 and 3): its shortcut is option A's subsampling + zero channels, not identity.</param>
/// <param name="ErrorPercent">Test error with that block deleted (percent).</param>
public sealed record BlockLesion(string Block, int Index, bool ChangesShape, double ErrorPercent);

/// <summary>One net's single-block deletions, beside its intact error.</summary>
/// <param name="Label">The net, e.g. ResNet-56.</param>
/// <param name="Residual">True for the ResNet, false for the plain twin.</param>
/// <param name="IntactErrorPercent">Test error with nothing deleted, on the same images.</param>
/// <param name="Deletions">One entry per block, in forward order.</param>
public sealed record LesionSeries(string Label, bool Residual, double IntactErrorPercent, IReadOnlyList<BlockLesion> Deletions);

/// <summary>Test errors with <paramref name="Deleted"/> random blocks deleted at once, one per random draw (Fig. 5a).</summary>
/// <param name="Deleted">How many blocks were deleted together.</param>
/// <param name="ErrorsPercent">Test error of each draw (percent).</param>
public sealed record RandomLesionPoint(int Deleted, IReadOnlyList<double> ErrorsPercent)
{
    /// <summary>Mean error over the draws.</summary>
    public double MeanPercent => ErrorsPercent.Average();

    /// <summary>Sample standard deviation over the draws (0 for one draw).</summary>
    public double StdPercent => ErrorsPercent.Count < 2 ? 0
        : Math.Sqrt(ErrorsPercent.Sum(e => (e - MeanPercent) * (e - MeanPercent)) / (ErrorsPercent.Count - 1));
}

/// <summary>A net's error as more and more random blocks are deleted.</summary>
/// <param name="Label">The net.</param>
/// <param name="IntactErrorPercent">Error with nothing deleted (k = 0).</param>
/// <param name="Points">One point per k, increasing.</param>
public sealed record RandomLesionSeries(string Label, double IntactErrorPercent, IReadOnlyList<RandomLesionPoint> Points);

/// <summary>Paths of one length through a ResNet of n blocks (Veit et al. 2016, Fig. 6).</summary>
/// <param name="Length">k: how many residual branches the path goes through (the other n − k it skips).</param>
/// <param name="PathFraction">Share of all 2ⁿ paths with this length: C(n, k) / 2ⁿ.</param>
/// <param name="GradientNorm">Mean ‖∂L/∂x‖ at the input through one sampled path of this length; null when not sampled.</param>
/// <param name="Samples">How many paths of this length were sampled.</param>
public sealed record PathLength(int Length, double PathFraction, double? GradientNorm, int Samples)
{
    /// <summary>Fig. 6 (c): the gradient all paths of this length carry together, as share × magnitude (null when not sampled).</summary>
    public double? Contribution => GradientNorm * PathFraction;
}

/// <summary>The path view of one ResNet: length distribution, gradient per length, their product.</summary>
/// <param name="Label">The net.</param>
/// <param name="Blocks">n, its number of residual blocks.</param>
/// <param name="Lengths">k = 0 … n.</param>
public sealed record PathProfile(string Label, int Blocks, IReadOnlyList<PathLength> Lengths);
