using ResNetLab.Analysis;
using Plotly.NET;
using CS = Plotly.NET.CSharp;

namespace ResNetLab.Charts;

/// <summary>
/// Veit, Wilber, Belongie (NeurIPS 2016) "Residual Networks Behave Like Ensembles of Relatively Shallow Networks",
/// drawn from our nets: single-block deletions (Fig. 3), random deletions (Fig. 5a), the path view (Fig. 6).
/// </summary>
public static class LesionFigures
{
    static GenericChart Line(IEnumerable<double> x, IEnumerable<double> y, string name, string color, double width,
                             StyleParam.DrawingStyle dash, bool markers = false) =>
        CS.Chart.Line<double, double, string>(x: x, y: y, Name: name, ShowMarkers: markers, LineColor: Color.fromString(color),
            LineWidth: width, LineDash: dash);

    /// <summary>
    /// Fig. 3: test error after deleting each block in turn, one line per net, its intact error dotted; blocks that
    /// change resolution marked. The y axis spans 0 to 100 % so a collapse to chance (90 % on ten classes) shows.
    /// </summary>
    public static GenericChart SingleBlocks(IReadOnlyList<LesionSeries> series, string subtitle)
    {
        if (series.Count == 0) throw new ArgumentException("SingleBlocks needs at least one net");
        var traces = new List<GenericChart>();
        var n = series.Max(s => s.Deletions.Count);
        for (var i = 0; i < series.Count; i++)
        {
            var s = series[i];
            traces.Add(Line(s.Deletions.Select(d => (double)d.Index), s.Deletions.Select(d => d.ErrorPercent), $"{s.Label}: one block deleted",
                Figures.Color(i), 2.5, StyleParam.DrawingStyle.Solid, markers: true));
            traces.Add(Line([0.5, n + 0.5], [s.IntactErrorPercent, s.IntactErrorPercent], $"{s.Label} intact {s.IntactErrorPercent:0.0}%",
                Figures.Color(i), 1, StyleParam.DrawingStyle.Dot));
            var down = s.Deletions.Where(d => d.ChangesShape).ToList();
            if (down.Count > 0)
                traces.Add(CS.Chart.Point<double, double, string>(x: down.Select(d => (double)d.Index), y: down.Select(d => d.ErrorPercent),
                    Name: $"{s.Label}: block that halves the map", MarkerColor: Color.fromString(Figures.Color(i)),
                    MarkerSymbol: StyleParam.MarkerSymbol.NewModified(StyleParam.MarkerSymbol.Diamond, StyleParam.SymbolStyle.Open)));
        }
        traces.Add(Line([0.5, n + 0.5], [90, 90], "chance (90% on 10 classes)", "#9e9e9e", 1, StyleParam.DrawingStyle.Dash));
        return CS.Chart.Combine(traces).WithTitleAndSubtitle("Veit et al. Fig. 3: test error after deleting one block", subtitle)
            .WithAxes("deleted block (forward order)", "test error (%)", (0, 100)).WithSize(900, 500);
    }

    /// <summary>Fig. 5 (a): mean test error (± std over draws) against the number of blocks deleted at random.</summary>
    public static GenericChart RandomBlocks(IReadOnlyList<RandomLesionSeries> series, string subtitle)
    {
        if (series.Count == 0) throw new ArgumentException("RandomBlocks needs at least one net");
        var traces = new List<GenericChart>();
        for (var i = 0; i < series.Count; i++)
        {
            var s = series[i];
            var k = new[] { 0.0 }.Concat(s.Points.Select(p => (double)p.Deleted)).ToArray();
            var mean = new[] { s.IntactErrorPercent }.Concat(s.Points.Select(p => p.MeanPercent)).ToArray();
            var std = new[] { 0.0 }.Concat(s.Points.Select(p => p.StdPercent)).ToArray();
            traces.Add(CS.Chart.Line<double, double, string>(x: k, y: mean, Name: $"{s.Label}: mean over draws", ShowMarkers: true,
                LineColor: Color.fromString(Figures.Color(i)), LineWidth: 2.5));
            if (s.Points.Any(p => p.ErrorsPercent.Count > 1))
            {
                traces.Add(Line(k, mean.Zip(std, (m, d) => m + d), $"{s.Label}: ± std over draws", Figures.Color(i), 1, StyleParam.DrawingStyle.Dot));
                traces.Add(Line(k, mean.Zip(std, (m, d) => m - d), $"{s.Label}: − std", Figures.Color(i), 1, StyleParam.DrawingStyle.Dot));
            }
        }
        var kMax = series.Max(s => s.Points.Count == 0 ? 1 : s.Points.Max(p => p.Deleted));
        traces.Add(Line([0, kMax], [90, 90], "chance (90%)", "#9e9e9e", 1, StyleParam.DrawingStyle.Dash));
        return CS.Chart.Combine(traces).WithTitleAndSubtitle("Veit et al. Fig. 5 (a): error when deleting k random blocks", subtitle)
            .WithAxes("blocks deleted (k)", "test error (%)", (0, 100)).WithSize(900, 480);
    }

    /// <summary>
    /// Fig. 6: (a) share of paths of each length, (b) gradient magnitude reaching the input through one path of each
    /// length (log scale), (c) their product — the gradient each length carries in total — normalised to sum to 1.
    /// </summary>
    public static GenericChart Paths(PathProfile profile, string subtitle)
    {
        var k = profile.Lengths.Select(l => (double)l.Length).ToArray();
        var sampled = profile.Lengths.Where(l => l.GradientNorm is not null).ToList();
        var total = sampled.Sum(l => l.Contribution!.Value);
        var a = CS.Chart.Column<double, double, string>(values: profile.Lengths.Select(l => l.PathFraction), Keys: k,
            Name: "(a) share of paths", MarkerColor: Color.fromString(Figures.Color(0)));
        var b = CS.Chart.Line<double, double, string>(x: sampled.Select(l => (double)l.Length), y: sampled.Select(l => l.GradientNorm!.Value),
            Name: "(b) ‖∂L/∂x‖ through one path", ShowMarkers: true, LineColor: Color.fromString(Figures.Color(1)), LineWidth: 2);
        var c = CS.Chart.Column<double, double, string>(values: sampled.Select(l => total > 0 ? l.Contribution!.Value / total : 0),
            Keys: sampled.Select(l => (double)l.Length).ToArray(), Name: "(c) share of the total gradient", MarkerColor: Color.fromString(Figures.Color(2)));
        var grid = CS.Chart.Grid([a, b, c], 3, 1);
        grid = Plotly.NET.CSharp.GenericChartExtensions.WithYAxisStyle<double, double, string>(grid, TitleText: "share of paths", Id: StyleParam.SubPlotId.NewYAxis(1));
        grid = Plotly.NET.CSharp.GenericChartExtensions.WithYAxisStyle<double, double, string>(grid, TitleText: "gradient (log)", AxisType: StyleParam.AxisType.Log, Id: StyleParam.SubPlotId.NewYAxis(2));
        grid = Plotly.NET.CSharp.GenericChartExtensions.WithYAxisStyle<double, double, string>(grid, TitleText: "share of gradient", Id: StyleParam.SubPlotId.NewYAxis(3));
        grid = Plotly.NET.CSharp.GenericChartExtensions.WithXAxisStyle<double, double, string>(grid, TitleText: "path length k (residual branches passed)", Id: StyleParam.SubPlotId.NewXAxis(3));
        return grid.WithTitleAndSubtitle($"Veit et al. Fig. 6: paths through {profile.Label} ({profile.Blocks} blocks)", subtitle).WithSize(900, 820);
    }
}
