using System.Diagnostics;
using System.Text.RegularExpressions;
using ResNetLab.Diagnostics;
using ResNetLab.Runtime;

namespace ResNetLab.Notebooks.Reports;

/// <summary>
/// Renders an executed notebook to one self-contained HTML file that draws its charts with no network:
/// jupyter-nbconvert lays out the page; then every external script is dropped, plotly.js (the copy embedded in
/// Plotly.NET) is inlined, and the requirejs loader that Plotly.NET.Interactive emits is satisfied locally
/// (ENVIRONMENT Trap 3).
/// </summary>
public static partial class OfflineHtml
{
    /// <summary>Stands in for requirejs, which Plotly.NET.Interactive's chart cells expect.</summary>
    const string RequireShim = """
        <script>
        // Offline report: plotly.js is inlined above; answer Plotly.NET.Interactive's requirejs calls locally.
        (function () {
          // Plotly.NET.Interactive checks that requirejs and requirejs.config are functions, then calls
          // requirejs.config({...})(['plotly'], callback).
          var load = function (deps, callback) { callback(window.Plotly); };
          load.config = function () { return load; };
          window.require = load;
          window.requirejs = load;
        })();
        </script>
        """;

    /// <summary>Render <paramref name="executedIpynb"/> to <paramref name="htmlPath"/> with nbconvert and make it work offline; <paramref name="timeout"/> bounds nbconvert.</summary>
    public static void Render(string executedIpynb, string htmlPath, TimeSpan? timeout = null)
    {
        var outDir = Path.GetDirectoryName(Path.GetFullPath(htmlPath))!;
        var tmpBase = "." + Path.GetFileNameWithoutExtension(htmlPath) + ".nbconvert";
        var psi = new ProcessStartInfo("jupyter-nbconvert")
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
            ArgumentList = { "--to", "html", "--output-dir", outDir, "--output", tmpBase, executedIpynb },
        };
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException("jupyter-nbconvert is not installed: run bash environment/setup.sh (apt package jupyter-nbconvert)");
        }
        using (p)
        {
            var stderr = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(timeout ?? TimeSpan.FromMinutes(2))) { p.Kill(true); throw new TimeoutException($"jupyter-nbconvert timed out on {executedIpynb}"); }
            if (p.ExitCode != 0) throw new InvalidOperationException($"jupyter-nbconvert failed on {executedIpynb}: {stderr.Result.Trim()}");
        }
        var rendered = Path.Combine(outDir, tmpBase + ".html");
        var html = MakeOffline(File.ReadAllText(rendered));
        File.Delete(rendered);
        AtomicFile.WriteText(htmlPath, html, "the HTML report");
    }

    /// <summary>Drop external scripts (requirejs, MathJax), inline plotly.js and the require shim in the head.</summary>
    public static string MakeOffline(string html)
    {
        var plotly = Doctor.PlotlyJs() ?? throw new InvalidOperationException("plotly.js is not embedded in this Plotly.NET build");
        html = ExternalScript().Replace(html, "");
        html = MathJaxConfig().Replace(html, "");
        // The script body must not close the tag early.
        var inline = $"<script>/* {plotly.Name}, MIT licence, inlined from Plotly.NET */\n{plotly.Script.Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase)}\n</script>\n{RequireShim}\n";
        var head = html.IndexOf("</head>", StringComparison.OrdinalIgnoreCase);
        if (head < 0) throw new InvalidDataException("nbconvert output has no </head>");
        return html.Insert(head, inline);
    }

    /// <summary>External resources a page would request (what must be absent from a report).</summary>
    public static IReadOnlyList<string> ExternalReferences(string html) =>
        ExternalRef().Matches(html).Select(m => m.Groups[1].Value).Distinct().ToList();

    [GeneratedRegex("""<script[^>]*\bsrc\s*=\s*["'][^"']*["'][^>]*>\s*</script>""", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalScript();

    [GeneratedRegex("""<script type="text/x-mathjax-config">.*?</script>""", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex MathJaxConfig();

    [GeneratedRegex("""<(?:script|link|img|iframe)[^>]*\b(?:src|href)\s*=\s*["']((?:https?:|file:|//)[^"']*)["']""", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalRef();
}
