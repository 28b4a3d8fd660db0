using System.Net;
using System.Text;
using System.Text.Json;
using ResNetLab.Models;
using ResNetLab.Runtime;

namespace ResNetLab.Notebooks.Reports;

/// <summary>Options of one report build (the `resnet reports` flags); <paramref name="Settings"/> reach every notebook kernel.</summary>
public sealed record ReportOptions(
    Training.RunSettings Settings,
    string OutputDir,
    IReadOnlyList<string> Notebooks,
    TimeSpan NotebookTimeout,
    bool BrowserCheck = true,
    NotebookEngine Engine = NotebookEngine.Repl,
    string? CompareWith = null,
    Func<string, IDisposable>? Watch = null)
{
    /// <summary>The budget every notebook trains at.</summary>
    public Training.Budget Budget => Settings.Budget;
    /// <summary>The precision every notebook trains in.</summary>
    public Models.Precision Precision => Settings.Precision;
}

/// <summary>The outcome for one notebook.</summary>
public sealed record NotebookReport(
    string Name, string Html, string ExecutedIpynb, double Seconds, int Charts, IReadOnlyList<CellError> Errors,
    string? TimeoutMessage, BrowserResult? Browser)
{
    /// <summary>No failing cell, no timeout, and the browser check (when run) passed.</summary>
    public bool Ok => Errors.Count == 0 && TimeoutMessage is null && (Browser?.Ok ?? true);
}

/// <summary>
/// Executes notebooks headlessly, publishes each as executed .ipynb + offline HTML, checks them in Chromium and
/// writes index.html. Fails (returns problems) naming the notebook and cell when any cell errors.
/// </summary>
public static class ReportBuilder
{
    /// <summary>The notebooks in <paramref name="notebooksDir"/> in name order, or those whose names start with one of <paramref name="only"/>; an unknown name is an error.</summary>
    public static IReadOnlyList<string> DiscoverNotebooks(string notebooksDir, IReadOnlyList<string>? only = null)
    {
        if (!Directory.Exists(notebooksDir)) throw new DirectoryNotFoundException($"notebooks folder {notebooksDir} not found");
        var all = Directory.EnumerateFiles(notebooksDir, "*.ipynb").Order(StringComparer.Ordinal).ToList();
        if (only is null || only.Count == 0) return all;
        var chosen = new List<string>();
        foreach (var want in only)
        {
            var match = all.Where(p => Path.GetFileNameWithoutExtension(p).StartsWith(Path.GetFileNameWithoutExtension(want), StringComparison.Ordinal)).ToList();
            if (match.Count == 0)
                throw new ArgumentException($"--notebooks: no notebook named '{want}' in {notebooksDir} (have: {string.Join(", ", all.Select(Path.GetFileNameWithoutExtension))})");
            chosen.AddRange(match);
        }
        return chosen.Distinct().ToList();
    }

    /// <summary>Execute, publish and check every notebook of <paramref name="options"/>, then write index.html; <paramref name="log"/> gets one line per step.</summary>
    public static IReadOnlyList<NotebookReport> Build(ReportOptions options, Action<string>? log = null)
    {
        log ??= _ => { };
        Directory.CreateDirectory(options.OutputDir);
        var env = new Dictionary<string, string>(options.Settings.ToEnvironment())   // the kernel resolves the same settings
        {
            ["RESNET_ROOT"] = RepoPaths.Root,
            ["RESNET_HEADLESS"] = "1",   // live notebook displays show their final state once (see Lab.LiveRun)
        };
        if (options.Engine == NotebookEngine.Jupyter)
        {
            // this checkout's kernel spec first, whatever is registered for the user
            var kernels = NotebookRunner.PrepareJupyterKernel();
            env["JUPYTER_PATH"] = env.TryGetValue("JUPYTER_PATH", out var more) ? kernels + Path.PathSeparator + more : kernels;
        }
        var reports = new List<NotebookReport>();
        var started = DateTime.Now;
        foreach (var nb in options.Notebooks)
        {
            var name = Path.GetFileNameWithoutExtension(nb);
            var executed = Path.Combine(options.OutputDir, name + ".ipynb");
            var html = Path.Combine(options.OutputDir, name + ".html");
            log($"executing {name} with {EngineName(options.Engine)} (budget {options.Budget.Key}, timeout {options.NotebookTimeout:g}) …");
            var raw = executed + ".raw";
            NotebookRunner.Result run;
            using (options.Watch?.Invoke(name))   // e.g. the CLI following the runs this notebook trains
                run = NotebookRunner.Execute(nb, raw, env, options.NotebookTimeout, options.Engine);
            string? timeout = run.TimedOut ? $"{name} did not finish within {options.NotebookTimeout:g} (per-notebook timeout)" : null;
            if (!File.Exists(raw))
            {
                reports.Add(new NotebookReport(name, html, executed, run.Duration.TotalSeconds, 0,
                    [new CellError(name, 0, "(kernel)", $"{EngineName(options.Engine)} exited {run.ExitCode} without writing a notebook: {Tail(run.Log)}")], timeout, null));
                continue;
            }
            var doc = ExecutedNotebook.Load(raw, name).Clean();
            doc.Save(executed);
            File.Delete(raw);
            var errors = doc.Errors().Concat(MissingCharts(nb, doc, options.CompareWith)).ToList();
            if (run.ExitCode != 0 && errors.Count == 0 && timeout is null)
                errors = [new CellError(name, 0, "(kernel)", $"{EngineName(options.Engine)} exited {run.ExitCode}: {Tail(run.Log)}")];
            OfflineHtml.Render(executed, html);
            reports.Add(new NotebookReport(name, html, executed, run.Duration.TotalSeconds, doc.ChartCount(), errors, timeout, null));
            log($"  {name}: {run.Duration.TotalSeconds:F0} s, {doc.ChartCount()} chart(s), {errors.Count} failing cell(s)");
        }
        if (options.BrowserCheck)
        {
            var checks = BrowserCheck.CheckAsync(reports.Where(r => File.Exists(r.Html)).Select(r => (r.Html, r.Charts))).GetAwaiter().GetResult();
            reports = reports.Select(r => r with { Browser = checks.FirstOrDefault(c => c.Page == Path.GetFullPath(r.Html)) }).ToList();
            foreach (var c in checks) log("  browser: " + c.Describe());
        }
        WriteIndex(options, reports, started);
        return reports;
    }

    static string EngineName(NotebookEngine engine) => engine == NotebookEngine.Jupyter ? "jupyter nbconvert" : "dotnet-repl";

    /// <summary>
    /// A chart that did not come out is a failure even when no cell raised: every cell that draws (calls Figures.*) must
    /// show a chart. With <paramref name="compareWith"/> (another engine's reports of the same notebooks, reusing the
    /// same finished runs) the chart counts must also be equal.
    /// </summary>
    public static IEnumerable<CellError> MissingCharts(string notebook, ExecutedNotebook executed, string? compareWith)
    {
        foreach (var (cell, first) in executed.DrawingCellsWithoutChart())
            yield return new CellError(executed.Name, cell, first.Length > 80 ? first[..80] + "…" : first, "the cell draws a chart (Figures.*) but no chart output came out");
        var other = compareWith is null ? null : Path.Combine(compareWith, executed.Name + ".ipynb");
        if (other is not null && File.Exists(other))
        {
            var expected = ExecutedNotebook.Load(other, executed.Name).ChartCount();
            var charts = executed.ChartCount();
            if (charts != expected)
                yield return new CellError(executed.Name, 0, "(charts)", $"{charts} chart output(s), but the same notebook executed in {other} has {expected}");
        }
    }

    static string Tail(string log) => log.Length > 600 ? "…" + log[^600..] : log;

    /// <summary>index.html and reports.json: every notebook with status, charts and duration, and how it was made.</summary>
    static void WriteIndex(ReportOptions options, IReadOnlyList<NotebookReport> reports, DateTime started)
    {
        var info = TorchRuntime.Info();
        var (dataDir, dataFrom) = (options.Settings.DataDir, options.Settings.DataFrom);
        var meta = new Dictionary<string, string>
        {
            ["Budget"] = options.Budget.Key + (options.Budget.Departures.Count > 0 ? $" ({options.Budget.Iterations.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} iterations; departure: {string.Join("; ", options.Budget.Departures)})" : ""),
            ["Precision"] = options.Precision.Name(),
            ["Device"] = info.Device,
            ["Data"] = $"{Data.DataSource.Describe(dataDir)} ({dataDir}, from {dataFrom})",
            ["Versions"] = $"TorchSharp {info.TorchSharpVersion}, libtorch {info.LibTorchVersion}, .NET {info.DotNetVersion}",
            ["Threads"] = info.Threads.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Rendered"] = $"{started:yyyy-MM-dd HH:mm} (local time), {(DateTime.Now - started).TotalMinutes:F1} min in all",
        };
        var sb = new StringBuilder();
        sb.Append("""
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>ResNetNotebooks — reports</title>
            <style>body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;color:#222}
            table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4em .6em;text-align:left}
            .ok{color:#1a7f37}.fail{color:#c62828}dt{font-weight:600;float:left;width:7em}dd{margin-left:8em}</style></head><body>
            <h1>ResNetNotebooks — executed notebooks</h1>
            <p>Reproducing <em>Deep Residual Learning for Image Recognition</em> (He, Zhang, Ren, Sun, CVPR 2016). Each page is
            the notebook exactly as executed headlessly; charts are drawn offline.</p><dl>
            """);
        foreach (var (k, v) in meta) sb.Append($"<dt>{k}</dt><dd>{WebUtility.HtmlEncode(v)}</dd>");
        // where a notebook's runs depart from the paper's recipe at this budget (named in run names and chart labels too)
        var departures = options.Notebooks.ToDictionary(nb => Path.GetFileNameWithoutExtension(nb)!, nb => NotebookPlans.DeparturesOf(nb, options.Budget));
        sb.Append("</dl><table><tr><th>Notebook</th><th>Status</th><th>Charts</th><th>Duration</th><th>Departures from the paper's recipe</th></tr>");
        foreach (var r in reports)
        {
            var status = r.Ok ? "<span class=ok>ok</span>"
                : $"<span class=fail>{WebUtility.HtmlEncode(string.Join("; ", r.Errors.Select(e => e.ToString()).Append(r.TimeoutMessage ?? "").Append(r.Browser is { Ok: false } b ? b.Describe() : "").Where(s => s.Length > 0)))}</span>";
            sb.Append($"<tr><td><a href=\"{WebUtility.HtmlEncode(Path.GetFileName(r.Html))}\">{WebUtility.HtmlEncode(r.Name)}</a></td><td>{status}</td><td>{r.Charts}</td><td>{r.Seconds:F0} s</td>" +
                      $"<td>{WebUtility.HtmlEncode(departures.TryGetValue(r.Name, out var d) && d.Count > 0 ? string.Join("; ", d) : "none")}</td></tr>");
        }
        sb.Append("</table></body></html>\n");
        var index = Path.Combine(options.OutputDir, "index.html");
        AtomicFile.WriteText(index, sb.ToString(), "the reports index");
        var json = JsonSerializer.Serialize(new { meta, notebooks = reports, departures }, new JsonSerializerOptions { WriteIndented = true });
        AtomicFile.WriteText(Path.Combine(options.OutputDir, "reports.json"), json, "the reports summary");
    }
}
