using Microsoft.FSharp.Core;
using Plotly.NET;

namespace ResNetLab.Charts;

/// <summary>The few Plotly.NET layout calls the charts need, in C# form (Plotly.NET's own are curried F# functions).</summary>
public static class PlotlyExtensions
{
    /// <summary>Title with a smaller second line (budget · data · device on every chart).</summary>
    public static GenericChart WithTitleAndSubtitle(this GenericChart chart, string title, string subtitle) =>
        Chart.withTitle($"{title}<br><sup>{System.Net.WebUtility.HtmlEncode(subtitle)}</sup>", FSharpOption<Font>.None).Invoke(chart);

    /// <summary>Axis titles, an optional fixed y range (e.g. error in percent) and optionally a log x axis.</summary>
    public static GenericChart WithAxes(this GenericChart chart, string x, string y, (double Min, double Max)? yRange = null, bool logX = false)
    {
        chart = Plotly.NET.CSharp.GenericChartExtensions.WithXAxisStyle<double, double, string>(chart, TitleText: x,
            AxisType: logX ? StyleParam.AxisType.Log : StyleParam.AxisType.Linear);
        return yRange is { } r
            ? Plotly.NET.CSharp.GenericChartExtensions.WithYAxisStyle<double, double, string>(chart, TitleText: y, MinMax: new Tuple<double, double>(r.Min, r.Max))
            : Plotly.NET.CSharp.GenericChartExtensions.WithYAxisStyle<double, double, string>(chart, TitleText: y);
    }

    /// <summary>Figure size in pixels, the same in notebooks and rendered reports.</summary>
    public static GenericChart WithSize(this GenericChart chart, int width, int height) =>
        Plotly.NET.CSharp.GenericChartExtensions.WithSize(chart, width, height);

}
