using Microsoft.DotNet.Interactive.Formatting;
using Plotly.NET;
using ResNetLab.Diagnostics;

namespace ResNetLab.Notebooks;

/// <summary>
/// Charts that draw in a live notebook with no network (issue 27): Plotly.NET.Interactive's formatter loads require.js
/// and plotly.js from a CDN (ENVIRONMENT Trap 3), so offline every chart was blank. <see cref="Lab.Setup"/> registers
/// this formatter instead: the first chart after each setup carries the project's plotly.js (the copy embedded in
/// Plotly.NET, the one the reports inline), hidden from the page's AMD loader (classic Jupyter has require.js, which
/// would swallow it); every chart then draws with <c>Plotly.newPlot</c> directly — no require, no CDN.
/// </summary>
public static class LiveCharts
{
    /// <summary>The id prefix of every chart's div: what <see cref="Reports.ExecutedNotebook.ChartCount"/> counts.</summary>
    public const string IdPrefix = "renderPlotly_";

    static bool embedded;

    /// <summary>Headless executions (reports: RESNET_HEADLESS=1) inline plotly.js once per page instead (<see cref="Reports.OfflineHtml"/>).</summary>
    static bool Headless => Environment.GetEnvironmentVariable("RESNET_HEADLESS") == "1";

    /// <summary>Chart outputs become <see cref="Html"/>; plotly.js goes into the next chart again (a reloaded page needs it).</summary>
    public static void Register()
    {
        embedded = false;
        Formatter.Register<GenericChart>((chart, writer) =>
        {
            writer.Write(Html(chart, withPlotly: !embedded && !Headless));
            embedded = true;
        }, HtmlFormatter.MimeType);
    }

    /// <summary>plotly.js as one inline script element that defines <c>window.Plotly</c> whatever AMD loader the page has.</summary>
    public static string PlotlyScriptElement()
    {
        var plotly = Doctor.PlotlyJs() ?? throw new InvalidOperationException("plotly.js is not embedded in this Plotly.NET build");
        // The UMD header prefers define() when a page has require.js (classic Jupyter does): shadow it so Plotly lands on window.
        return $"<script type=\"text/javascript\">/* {plotly.Name}, MIT licence, from Plotly.NET */\n(function (define, exports, module) {{\n" +
               plotly.Script.Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase) +
               "\n}).call(window, undefined, undefined, undefined);\n</script>\n";
    }

    /// <summary>A chart as a div and a script that draws it once <c>window.Plotly</c> exists (and says why, if it never does).</summary>
    public static string Html(GenericChart chart, bool withPlotly)
    {
        var id = IdPrefix + Guid.NewGuid().ToString("N");
        var figure = GenericChart.toJson(chart).Replace("</", "<\\/", StringComparison.Ordinal);
        return (withPlotly ? PlotlyScriptElement() : "") + $$"""
            <div id="{{id}}"></div>
            <script type="text/javascript">
            (function () {
              var figure = {{figure}};
              var tries = 0;
              var draw = function () {
                var div = document.getElementById('{{id}}');
                if (window.Plotly && div) { window.Plotly.newPlot(div, figure.data, figure.layout || {}, figure.config || {}); return; }
                if (++tries < 200) { setTimeout(draw, 50); return; }
                if (div) div.textContent = 'plotly.js is not loaded in this page (it comes with the first chart after Lab.Setup): run the first cell again, then this one.';
              };
              draw();
            })();
            </script>
            """;
    }
}
