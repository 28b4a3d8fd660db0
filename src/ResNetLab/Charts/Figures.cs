using ResNetLab.Analysis;
using Plotly.NET;
using CS = Plotly.NET.CSharp;

namespace ResNetLab.Charts;

/// <summary>
/// The paper's figures, drawn from our results with the paper's numbers beside them. Every chart carries a subtitle
/// (budget · data · device) so nobody mistakes a smoke run on the lossy mirror for the paper's result.
/// </summary>
public static partial class Figures
{
    static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
    /// <summary>The i-th series colour (tab10 colours, cycling), so the same position has the same colour in every figure.</summary>
    public static string Color(int i) => Palette[i % Palette.Length];

    static GenericChart Line(IEnumerable<double> x, IEnumerable<double> y, string name, string color, double width,
                             StyleParam.DrawingStyle dash, bool showLegend = true, string? group = null) =>
        CS.Chart.Line<double, double, string>(x: x, y: y, Name: name, ShowLegend: showLegend, LineColor: Plotly.NET.Color.fromString(color),
            LineWidth: width, LineDash: dash);

    /// <summary>
    /// Fig. 1 / Fig. 6 style: training error dashed, test error bold, one colour per network; paper test errors
    /// (Table 6) as dotted horizontal lines where given.
    /// </summary>
    public static GenericChart TrainingCurves(IReadOnlyList<ErrorCurve> curves, string title, string subtitle,
                                              IReadOnlyDictionary<string, double>? paperTestError = null, double? yMax = null)
    {
        if (curves.Count == 0) throw new ArgumentException("TrainingCurves needs at least one run");
        var traces = new List<GenericChart>();
        var xMax = curves.Max(c => c.Iterations.Count == 0 ? 0 : c.Iterations.Max());
        for (var i = 0; i < curves.Count; i++)
        {
            var c = curves[i];
            traces.Add(Line(c.Iterations, c.TrainErrorPercent, $"{c.Label} train", Color(i), 1.2, StyleParam.DrawingStyle.Dash));
            traces.Add(Line(c.Iterations, c.TestErrorPercent, $"{c.Label} test", Color(i), 3.0, StyleParam.DrawingStyle.Solid));
            if (paperTestError is not null && paperTestError.TryGetValue(c.Label, out var paper))
                traces.Add(Line([0, xMax], [paper, paper], $"{c.Label} paper test {paper:0.00}%", Color(i), 1.0, StyleParam.DrawingStyle.Dot));
        }
        var top = yMax ?? Math.Min(100, Math.Ceiling(curves.SelectMany(c => c.TrainErrorPercent.Concat(c.TestErrorPercent)).DefaultIfEmpty(100).Max() / 5 + 1) * 5);
        return CS.Chart.Combine(traces).WithTitleAndSubtitle(title, subtitle)
            .WithAxes("iterations", "error (%)", (0, top)).WithSize(900, 520);
    }

    /// <summary>Grouped bars: ours beside the paper's value for each label (e.g. parameters vs Table 6).</summary>
    public static GenericChart Compare(IReadOnlyList<Comparison> rows, string title, string subtitle, string yTitle,
                                       string oursName = "ours (measured)", string paperName = "paper", bool logY = false)
    {
        var labels = rows.Select(r => r.Label).ToArray();
        var ours = CS.Chart.Column<double, string, string>(values: rows.Select(r => r.Ours), Keys: labels, Name: oursName,
            MarkerColor: Plotly.NET.Color.fromString(Color(0)), MultiText: rows.Select(r => Format(r.Ours)).ToArray());
        var paperRows = rows.Where(r => r.Paper is not null).ToList();
        var paper = CS.Chart.Column<double, string, string>(values: paperRows.Select(r => r.Paper!.Value), Keys: paperRows.Select(r => r.Label).ToArray(),
            Name: paperName, MarkerColor: Plotly.NET.Color.fromString("#9e9e9e"), MultiText: paperRows.Select(r => Format(r.Paper!.Value)).ToArray());
        var chart = CS.Chart.Combine([ours, paper]).WithTitleAndSubtitle(title, subtitle).WithSize(900, 480);
        chart = Plotly.NET.CSharp.GenericChartExtensions.WithYAxisStyle<double, double, string>(chart, TitleText: yTitle,
            AxisType: logY ? StyleParam.AxisType.Log : StyleParam.AxisType.Linear);
        return chart;
    }

    static string Format(double v) => v >= 100 ? v.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)
        : v.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Fig. 7: std of each 3×3 layer's response, in layer order (top) or sorted by magnitude (bottom).</summary>
    public static GenericChart LayerResponses(IReadOnlyList<ResponseSeries> series, bool sorted, string subtitle)
    {
        var traces = series.Select((s, i) =>
        {
            var y = sorted ? s.Std.OrderByDescending(v => v).ToArray() : s.Std.ToArray();
            return CS.Chart.Line<double, double, string>(x: Enumerable.Range(1, y.Length).Select(v => (double)v), y: y, Name: s.Label,
                ShowMarkers: true, LineColor: Plotly.NET.Color.fromString(Color(i)), LineWidth: 1.5);
        });
        var title = sorted ? "Fig. 7 (bottom): layer responses sorted by magnitude" : "Fig. 7 (top): layer responses in layer order";
        return CS.Chart.Combine(traces).WithTitleAndSubtitle(title, subtitle)
            .WithAxes(sorted ? "layer index (sorted by std)" : "layer index (original order)", "std of response").WithSize(900, 460);
    }

    /// <summary>The warm-up of §4.2 (110 layers): learning rate and training error on one time axis, the switch marked.</summary>
    public static GenericChart Warmup(IReadOnlyList<double> iterations, IReadOnlyList<double> learningRate,
                                      IReadOnlyList<double> trainErrorPercent, double? switchIteration, string subtitle)
    {
        var err = Line(iterations, trainErrorPercent, "training error (%)", Color(1), 2, StyleParam.DrawingStyle.Solid);
        var lr = CS.Chart.Line<double, double, string>(x: iterations, y: learningRate.Select(v => v * 100), Name: "learning rate × 100",
            LineColor: Plotly.NET.Color.fromString(Color(0)), LineWidth: 2, LineDash: StyleParam.DrawingStyle.Solid);
        var traces = new List<GenericChart> { err, lr };
        if (switchIteration is { } s)
            traces.Add(Line([s, s], [0, 100], $"warm-up ends (iteration {s:0})", "#616161", 1, StyleParam.DrawingStyle.Dash));
        traces.Add(Line([0, iterations.DefaultIfEmpty(1).Max()], [80, 80], "80% training error (switch threshold)", "#9e9e9e", 1, StyleParam.DrawingStyle.Dot));
        return CS.Chart.Combine(traces).WithTitleAndSubtitle("§4.2 warm-up: lr 0.01 until training error < 80%, then 0.1", subtitle)
            .WithAxes("iterations", "percent / lr × 100", (0, 100)).WithSize(900, 460);
    }
}
