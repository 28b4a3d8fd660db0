using ResNetLab.Analysis;
using Plotly.NET;
using CS = Plotly.NET.CSharp;

namespace ResNetLab.Charts;

/// <summary>
/// Li, Xu, Taylor, Studer, Goldstein (NeurIPS 2018) "Visualizing the Loss Landscape of Neural Nets", drawn from our
/// nets: 1-D lines (and Goodfellow et al.'s initialisation → solution line), 2-D contour plots, the convexity map.
/// </summary>
public static class LandscapeFigures
{
    /// <summary>Loss along 1-D lines, one colour per net, one dash per kind of line; α = 0 (the trained weights) marked.</summary>
    public static GenericChart Lines(IReadOnlyList<LossLine> lines, string title, string subtitle, bool logY = false)
    {
        if (lines.Count == 0) throw new ArgumentException("Lines needs at least one line");
        var nets = lines.Select(l => l.Label).Distinct().ToList();
        var kinds = lines.Select(l => l.Direction).Distinct().ToList();
        StyleParam.DrawingStyle[] dashes = [StyleParam.DrawingStyle.Solid, StyleParam.DrawingStyle.Dash, StyleParam.DrawingStyle.Dot];
        var traces = lines.Select(l => CS.Chart.Line<double, double, string>(x: l.Alpha, y: l.Loss, Name: $"{l.Label}: {l.Direction}",
            ShowMarkers: true, LineColor: Color.fromString(Figures.Color(nets.IndexOf(l.Label))), LineWidth: 2,
            LineDash: dashes[kinds.IndexOf(l.Direction) % dashes.Length])).ToList();
        var chart = CS.Chart.Combine(traces).WithTitleAndSubtitle(title, subtitle).WithSize(900, 480);
        chart = Plotly.NET.CSharp.GenericChartExtensions.WithXAxisStyle<double, double, string>(chart, TitleText: "α");
        return Plotly.NET.CSharp.GenericChartExtensions.WithYAxisStyle<double, double, string>(chart, TitleText: "training loss (cross-entropy)",
            AxisType: logY ? StyleParam.AxisType.Log : StyleParam.AxisType.Linear);
    }

    /// <summary>
    /// Li et al. Fig. 5 style: the loss on the plane as a filled contour plot. <paramref name="zMax"/> clips the colour
    /// scale (e.g. the same for plain and residual nets so they compare); contours are drawn on log(1 + loss) when asked.
    /// </summary>
    public static GenericChart Contour(LossSurface surface, string subtitle, double? zMax = null)
    {
        var z = surface.Loss.Select(row => row.Select(v => zMax is { } m ? Math.Min(v, m) : v).ToArray()).ToArray();
        var chart = CS.Chart.Contour<double, double, double, string>(zData: z, X: surface.Alpha.ToArray(), Y: surface.Beta.ToArray(),
            Name: surface.Label, ColorScale: StyleParam.Colorscale.Viridis, NContours: 25, ShowScale: true);
        chart = chart.WithTitleAndSubtitle($"Li et al. Fig. 5: loss around the trained {surface.Label} (filter-normalised plane)", subtitle)
            .WithSize(620, 560);
        chart = Plotly.NET.CSharp.GenericChartExtensions.WithXAxisStyle<double, double, string>(chart, TitleText: "α (direction d₁)");
        return Plotly.NET.CSharp.GenericChartExtensions.WithYAxisStyle<double, double, string>(chart, TitleText: "β (direction d₂)");
    }

    /// <summary>Li et al. Fig. 7 style on our slice: |λmin/λmax| of the 2-D Hessian at each interior grid point (0 = locally convex).</summary>
    public static GenericChart ConvexityMap(string label, IReadOnlyList<double> alpha, IReadOnlyList<double> beta,
                                            IReadOnlyList<IReadOnlyList<double>> ratio, string subtitle)
    {
        var chart = CS.Chart.Heatmap<double, double, double, string>(zData: ratio, X: alpha.ToArray(), Y: beta.ToArray(), Name: label,
            ColorScale: StyleParam.Colorscale.Viridis, ShowScale: true);
        chart = chart.WithTitleAndSubtitle($"|λmin/λmax| of the slice's Hessian: {label} (0 = convex)", subtitle).WithSize(620, 560);
        chart = Plotly.NET.CSharp.GenericChartExtensions.WithXAxisStyle<double, double, string>(chart, TitleText: "α");
        return Plotly.NET.CSharp.GenericChartExtensions.WithYAxisStyle<double, double, string>(chart, TitleText: "β");
    }
}
