using ResNetLab.Analysis;
using Microsoft.FSharp.Core;
using Plotly.NET;
using CS = Plotly.NET.CSharp;

namespace ResNetLab.Charts;

public static partial class Figures
{
    /// <summary>
    /// Notebook 08: one heatmap per network side by side, on one shared colour range so colours compare across nets;
    /// columns evenly spaced (categorical), rows the layers from input (bottom) to output (top).
    /// </summary>
    public static GenericChart Heatmaps(IReadOnlyList<Heatmap> maps, string title, string subtitle, string colourTitle)
    {
        if (maps.Count == 0) throw new ArgumentException("Heatmaps needs at least one matrix");
        var finite = maps.SelectMany(m => m.Values.SelectMany(r => r)).Where(double.IsFinite).DefaultIfEmpty(0).ToList();
        var (lo, hi) = (Math.Floor(finite.Min() * 2) / 2, Math.Ceiling(finite.Max() * 2) / 2);
        if (hi <= lo) hi = lo + 1;
        var charts = maps.Select((m, i) =>
        {
            var chart = CS.Chart.Heatmap<double, string, int, string>(
                zData: m.Values.Select(r => (IEnumerable<double>)r),
                X: new CS.Optional<IEnumerable<string>>(m.Columns, true), Y: new CS.Optional<IEnumerable<int>>(Enumerable.Range(1, m.Rows.Count), true),
                Name: m.Label, ShowScale: i == maps.Count - 1,
                ColorScale: StyleParam.Colorscale.Viridis);
            return GenericChart.mapTrace(FuncConvert.FromFunc<Trace, Trace>(t =>
            {
                t.SetProperty("zmin", lo);
                t.SetProperty("zmax", hi);
                t.SetProperty("colorbar", new Dictionary<string, object> { ["title"] = new Dictionary<string, object> { ["text"] = colourTitle } });
                t.SetProperty("text", m.Rows.Select(r => m.Columns.Select(_ => r).ToArray()).ToArray());   // hover: the layer's name
                t.SetProperty("hovertemplate", "%{text}<br>iteration %{x}<br>" + colourTitle + " %{z:.2f}<extra>" + m.Label + "</extra>");
                return t;
            }), chart);
        }).ToList();
        var grid = CS.Chart.Grid(charts, 1, maps.Count, SubPlotTitles: maps.Select(m => m.Label).ToArray());
        return grid.WithTitleAndSubtitle(title, subtitle).WithSize(Math.Max(900, 260 * maps.Count), 520);
    }

    /// <summary>
    /// Shattered gradients: correlation of input gradients against distance, plain nets dashed and residual nets solid,
    /// one colour per depth; white noise is 0 at every distance &gt; 0.
    /// </summary>
    public static GenericChart GradientCorrelation(IReadOnlyList<LineSeries> curves, string subtitle) =>
        Lines(curves, "Shattered gradients at initialisation: correlation of ∂f/∂x along a line", subtitle,
              "distance between inputs (× ‖x₀‖)", "correlation of the gradients", logY: false, yRange: (-0.1, 1.0));

    /// <summary>A generic line chart (optionally log x / log y): one line per series, dashed where asked.</summary>
    public static GenericChart Lines(IReadOnlyList<LineSeries> series, string title, string subtitle, string xTitle, string yTitle,
                                     bool logX = false, bool logY = false, (double Min, double Max)? yRange = null)
    {
        if (series.Count == 0) throw new ArgumentException("Lines needs at least one series");
        var traces = series.Select(s => CS.Chart.Line<double, double, string>(x: s.X, y: s.Y, Name: s.Label, ShowMarkers: s.X.Count <= 40,
            LineColor: Plotly.NET.Color.fromString(Color(s.ColorIndex)), LineWidth: 2,
            LineDash: s.Dashed ? StyleParam.DrawingStyle.Dash : StyleParam.DrawingStyle.Solid));
        var chart = CS.Chart.Combine(traces).WithTitleAndSubtitle(title, subtitle).WithSize(900, 480);
        chart = CS.GenericChartExtensions.WithXAxisStyle<double, double, string>(chart, TitleText: xTitle,
            AxisType: logX ? StyleParam.AxisType.Log : StyleParam.AxisType.Linear);
        return yRange is { } r && !logY
            ? CS.GenericChartExtensions.WithYAxisStyle<double, double, string>(chart, TitleText: yTitle, MinMax: new Tuple<double, double>(r.Min, r.Max))
            : CS.GenericChartExtensions.WithYAxisStyle<double, double, string>(chart, TitleText: yTitle,
                AxisType: logY ? StyleParam.AxisType.Log : StyleParam.AxisType.Linear);
    }
}
