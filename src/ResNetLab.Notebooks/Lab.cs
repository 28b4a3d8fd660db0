using System.Net;
using Microsoft.AspNetCore.Html;
using System.Text;
using Microsoft.Data.Analysis;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Formatting;
using ResNetLab.Data;
using ResNetLab.Diagnostics;
using ResNetLab.Models;
using ResNetLab.Runtime;
using ResNetLab.Training;

namespace ResNetLab.Notebooks;

/// <summary>
/// The notebooks' one entry point. <c>var lab = Lab.Setup();</c> in the first cell initialises torch, resolves the
/// budget (RESNET_BUDGET, else quick on CPU and full on CUDA), the data folder and its honest label, registers table
/// formatters, and shows all of it. Everything else a notebook does is a call into the library through this object.
/// </summary>
public sealed partial class Lab
{
    /// <summary>The schedule every run of this notebook gets (smoke, quick, depth, full or a number of iterations).</summary>
    public Budget Budget { get; }
    /// <summary>The CIFAR-10 folder this notebook reads (argument, RESNET_DATA, else data/).</summary>
    public string DataDir { get; }
    /// <summary>The honest label of that data (official, mirror or custom), shown under every chart.</summary>
    public string DataLabel { get; }
    /// <summary>Where runs are kept and reused (runs/ in the checkout unless given).</summary>
    public string RunsDir { get; }

    /// <summary>fp32 (default) or bf16 mixed precision for every run this notebook trains (a different run from fp32).</summary>
    public Models.Precision Precision { get; }

    /// <summary>TorchSharp, libtorch and .NET versions, device and threads of the kernel.</summary>
    public RuntimeInfo Runtime { get; }

    /// <summary>The line under every chart title: budget · data · device.</summary>
    public string Subtitle => $"budget {Budget.Key}" + string.Concat(Budget.Departures.Select(d => $" ({d})")) + $" · {DataLabel} · {Runtime.Device}" + (Precision == Models.Precision.Fp32 ? "" : $" · {Precision.Name()}");

    Lab(Budget budget, string dataDir, string dataLabel, string runsDir, RuntimeInfo runtime, Models.Precision precision)
    {
        Budget = budget; DataDir = dataDir; DataLabel = dataLabel; RunsDir = runsDir; Runtime = runtime; Precision = precision;
    }

    /// <summary>Set up a notebook. <paramref name="budget"/> (smoke, quick, depth, full) overrides RESNET_BUDGET.</summary>
    /// <param name="budget">smoke, quick, depth, full or a number of iterations; default RESNET_BUDGET, else full with CUDA and quick on a CPU.</param>
    /// <param name="data">CIFAR-10 folder or its parent; default RESNET_DATA, else data/.</param>
    /// <param name="runs">Runs folder; default RESNET_RUNS, else runs/ in the checkout.</param>
    /// <param name="threads">CPU threads for libtorch; default all cores, or a fair share beside trainings already running here.</param>
    /// <param name="precision">fp32 (default), bf16 or auto (bf16 where the CPU has native BF16); else RESNET_PRECISION.</param>
    /// <param name="notebook">The notebook's name (e.g. "02-degradation"): the first output then says what it will train,
    /// what it reuses and how long it should take here, and which earlier notebooks' runs it trains when opened out of order
    /// (<see cref="Reports.NotebookPlans.Foresee"/>, the estimate of <c>resnet reports --dry-run</c>).</param>
    public static Lab Setup(string? budget = null, string? data = null, string? runs = null, int? threads = null, string? precision = null,
        string? notebook = null)
    {
        RunSettings settings;
        try { settings = RunSettings.Resolve(new SettingsRequest(budget, precision, data, runs, threads)); }
        catch (SettingException e) { throw new ArgumentException(e.Describe($"Lab.Setup({e.Setting}: …)"), e); }
        var lab = new Lab(settings.Budget, settings.DataDir, DataSource.Describe(settings.DataDir), settings.RunsDir, settings.Runtime, settings.Precision);
        RegisterFormatters();
        current = lab;
        LiveCharts.Register();   // charts from the project's plotly.js, not a CDN (issue 27)
        if (notebook is not null) Show(lab.Cost(notebook));   // the cost before anything is paid (issue 27)
        Show(lab.Banner());
        return lab;
    }

    /// <summary>
    /// What notebook <paramref name="notebook"/> (its saved file in the checkout's notebooks/) will train at this budget and
    /// how long, as its first output says: runs trained (each estimated), reused, the total, and earlier notebooks' runs it
    /// would train first. A knob cell the planner cannot read is said, not thrown: the notebook still runs.
    /// </summary>
    public HtmlString Cost(string notebook)
    {
        var path = Path.Combine(RepoPaths.Root, "notebooks", notebook + ".ipynb");
        try
        {
            var foresight = Reports.NotebookPlans.Foresee(path, Budget, RunsDir, Estimate, Precision);
            var lines = Reports.NotebookPlans.Describe(foresight, Budget);
            return new HtmlString("<div style=\"max-width:860px\">" + string.Concat(lines.Select((l, i) =>
                $"<p>{(i == 0 ? "<b>Cost first.</b> " : "<b>Out of order.</b> ")}{WebUtility.HtmlEncode(l)}</p>")) + "</div>");
        }
        catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException)
        {
            return new HtmlString($"<p><b>Cost first:</b> could not plan {WebUtility.HtmlEncode(notebook)} ({WebUtility.HtmlEncode(e.Message)}).</p>");
        }
    }

    TrainingEstimate? estimate;

    /// <summary>This notebook's speed estimate, made once (from the finished runs, else a short measurement) so that the first output and the plan agree.</summary>
    TrainingEstimate Estimate() => estimate ??= TrainingEstimate.FromRuns(RunsDir);

    /// <summary>The lab of the last <see cref="Setup"/>: plans shown in its notebook are priced against its runs folder.</summary>
    static Lab? current;

    /// <summary>A small HTML table of what this notebook runs with.</summary>
    public HtmlString Banner() => KeyValueTable(new Dictionary<string, string>
    {
        ["budget"] = $"{Budget.Key} (smoke: CI-sized · quick: laptop CPU, minutes per model · depth: 3,200 iterations, ResNets zero-init · full: the paper's 64k iterations)",
        ["data"] = $"{DataLabel} — {DataDir}",
        ["device"] = $"{Runtime.Device} ({Runtime.Threads} threads){(Runtime.CudaAvailable ? "" : "; no CUDA visible")}; precision {Precision.Name()}" +
                     (TorchRuntime.Sharing?.Note is { } note ? $" — {note}" : ""),
        ["versions"] = $"TorchSharp {Runtime.TorchSharpVersion}, libtorch {Runtime.LibTorchVersion}, .NET {Runtime.DotNetVersion}",
        ["runs"] = $"{RunsDir} (finished runs are reused, not retrained)",
    });

    /// <summary>A two-column HTML table (name, value), e.g. the setup banner.</summary>
    public static HtmlString KeyValueTable(IReadOnlyDictionary<string, string> rows)
    {
        var sb = new StringBuilder("<table>");
        foreach (var (k, v) in rows) sb.Append($"<tr><th style=\"text-align:left\">{WebUtility.HtmlEncode(k)}</th><td style=\"text-align:left\">{WebUtility.HtmlEncode(v)}</td></tr>");
        return new HtmlString(sb.Append("</table>").ToString());
    }

    /// <summary>
    /// Show <see cref="KeyValueTable"/> of <paramref name="rows"/> in the cell. Notebooks call this rather than
    /// <c>Show(KeyValueTable(…))</c>: a cell that names HtmlString binds to the kernel's own copy of
    /// Microsoft.AspNetCore.Html.Abstractions, which need not be the version this library was built against (a kernel
    /// that restored 2.3.13 beside this build's 2.3.0 failed such a cell with MissingMethodException).
    /// </summary>
    public static void ShowKeyValues(IReadOnlyDictionary<string, string> rows) => Show(KeyValueTable(rows));

    /// <summary>
    /// Where displays go outside a kernel: the page of a notebook run as a file-based app (<see cref="Apps.NotebookPage"/>);
    /// null (tests, the CLI) drops them.
    /// </summary>
    public static Action<object>? OutOfKernel { get; set; }

    /// <summary>Display a value in the running notebook cell (outside a kernel: <see cref="OutOfKernel"/>, else nothing).</summary>
    public static void Show(object value)
    {
        if (KernelInvocationContext.Current is not { } context) { OutOfKernel?.Invoke(value); return; }
        if (value is IHtmlContent html) context.DisplayAs(html.ToString() ?? "", "text/html");
        else context.Display(value);
    }

    /// <summary>Display a line of HTML text (e.g. notebook 09's precision check). Findings are tables (<see cref="Facts"/>), their words markdown.</summary>
    public static void Say(string html) => Show(new HtmlString($"<div style=\"max-width:860px\">{html}</div>"));

    static bool registered;

    /// <summary>DataFrames render as compact HTML tables (numbers rounded, all rows).</summary>
    static void RegisterFormatters()
    {
        if (registered) return;
        registered = true;
        Formatter.Register<DataFrame>((df, writer) => writer.Write(ToHtml(df)), HtmlFormatter.MimeType);
        Formatter.Register<IExperimentPlan>((plan, writer) =>
            writer.Write($"<p><b>{WebUtility.HtmlEncode(plan.Title)}</b></p>" + ToHtml(Experiments.Table(plan)) + (current?.PlanCost(plan) ?? "")), HtmlFormatter.MimeType);
    }

    /// <summary>
    /// A plan as this notebook's knobs built it, priced here: how many runs train (and how long) and how many are reused —
    /// what changing a knob changes, said under the plan's table.
    /// </summary>
    public string PlanCost(IExperimentPlan plan)
    {
        var priced = Reports.NotebookPlans.Price("this plan", [plan], RunsDir, Estimate(), Precision);
        var train = priced.ToTrain.ToList();
        var reused = priced.Runs.Count - train.Count;
        return $"<p>{(train.Count == 0 ? "Nothing to train" : $"Trains {train.Count} run(s), {Reports.NotebookPlans.Duration(priced.Seconds)} here")}" +
               $"{(reused == 0 ? "" : $"; reuses {reused} finished run(s)")}.</p>";
    }

    /// <summary>A DataFrame as a compact HTML table (numbers rounded, all rows) — what the notebooks' tables look like.</summary>
    public static string ToHtml(DataFrame df)
    {
        var sb = new StringBuilder("<table><thead><tr>");
        foreach (var c in df.Columns) sb.Append($"<th>{WebUtility.HtmlEncode(c.Name)}</th>");
        sb.Append("</tr></thead><tbody>");
        for (long r = 0; r < df.Rows.Count; r++)
        {
            sb.Append("<tr>");
            foreach (var c in df.Columns) sb.Append($"<td>{WebUtility.HtmlEncode(FormatCell(c[r]))}</td>");
            sb.Append("</tr>");
        }
        return sb.Append("</tbody></table>").ToString();
    }

    static string FormatCell(object? v) => v switch
    {
        null => "—",
        double d when double.IsNaN(d) => "—",
        double d => Math.Abs(d) >= 1000 ? d.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) : d.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture),
        float f => f.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture),
        long l => l.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
        int i => i.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };
}

public sealed partial class Lab
{
    /// <summary>`resnet doctor` as a table: one row per check, with the fix for anything not ok.</summary>
    public DataFrame Doctor()
    {
        var checks = Diagnostics.Doctor.RunAll(DataDir);
        return new DataFrame(
            new StringDataFrameColumn("check", checks.Select(c => c.Name)),
            new StringDataFrameColumn("status", checks.Select(c => c.Status.ToString().ToLowerInvariant())),
            new StringDataFrameColumn("detail", checks.Select(c => c.Detail)),
            new StringDataFrameColumn("fix", checks.Select(c => c.Status == CheckStatus.Ok ? "" : c.Fix ?? "")));
    }
}
