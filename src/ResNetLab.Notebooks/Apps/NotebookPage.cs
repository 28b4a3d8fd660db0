using System.Net;
using System.Text;
using Markdig;
using Microsoft.AspNetCore.Html;
using Microsoft.Data.Analysis;
using Microsoft.DotNet.Interactive.Formatting;
using Plotly.NET;
using ResNetLab.Notebooks.Reports;
using ResNetLab.Runtime;

namespace ResNetLab.Notebooks.Apps;

/// <summary>
/// The display surface of a notebook exported as a file-based app (<see cref="NotebookApp"/>): what a kernel would show
/// under each cell — <see cref="Lab.Show"/>, <see cref="Lab.Say"/>, a cell's trailing value, charts, tables — goes into
/// one offline HTML page (plotly.js inlined), written when the page is disposed, also when a cell throws (the error is
/// shown and the app exits non-zero).
/// </summary>
public sealed class NotebookPage : IDisposable
{
    readonly string title;
    readonly string path;
    readonly StringBuilder body = new();
    readonly MarkdownPipeline markdown = new MarkdownPipelineBuilder().UseAdvancedExtensions().Build();
    int? cell;

    /// <summary>Charts written so far (a test and the app's last line check it).</summary>
    public int Charts { get; private set; }
    /// <summary>The HTML page this app writes.</summary>
    public string OutputPath => path;

    NotebookPage(string title, string path) { this.title = title; this.path = path; }

    /// <summary>
    /// Start the page for notebook <paramref name="name"/>: output to args[0] if given, else &lt;name&gt;.html beside
    /// the app's .cs file (else in artifacts/apps/). From here on, notebook displays come to this page.
    /// </summary>
    public static NotebookPage Start(string name, string[] args)
    {
        var dir = AppContext.GetData("EntryPointFileDirectoryPath") as string
                  ?? Path.Combine(RepoPaths.TryRoot() ?? Directory.GetCurrentDirectory(), "artifacts", "apps");
        var output = args.Length > 0 ? Path.GetFullPath(args[0]) : Path.Combine(dir, name + ".html");
        var page = new NotebookPage(name, output);
        Lab.OutOfKernel = page.Display;
        AppDomain.CurrentDomain.UnhandledException += (_, e) =>
        {
            page.Error(e.ExceptionObject as Exception);
            page.Write();
        };
        Console.WriteLine($"{name}: running the notebook's cells as an app; page → {output}");
        return page;
    }

    /// <summary>A markdown cell, rendered into the page.</summary>
    public void Markdown(string text) => body.Append("<div class=\"md\">").Append(Markdig.Markdown.ToHtml(text, markdown)).Append("</div>\n");

    /// <summary>A code cell starts (numbered as in the notebook, markdown cells counted).</summary>
    public void Cell(int number)
    {
        cell = number;
        Console.WriteLine($"  cell {number}");
    }

    /// <summary>A cell's trailing expression: shown, as a kernel shows it.</summary>
    public void Result(Func<object?> value) => Display(value());

    /// <summary>A trailing expression with no value (e.g. <c>Lab.Say(…)</c>): run it.</summary>
    /// <summary>Run a code cell that shows nothing by itself.</summary>
    public void Result(Action action) => action();

    /// <summary>Show a value as the kernel would: charts as inline Plotly, tables as HTML, the rest as text.</summary>
    public void Display(object? value)
    {
        var html = value switch
        {
            null => "<pre>null</pre>",
            GenericChart chart => Chart(chart),
            IHtmlContent h => h.ToString() ?? "",
            DataFrame df => Lab.ToHtml(df),
            string s => $"<pre>{WebUtility.HtmlEncode(s)}</pre>",
            _ => Formatter.ToDisplayString(value, HtmlFormatter.MimeType),
        };
        body.Append($"<div class=\"output\" data-cell=\"{cell}\">").Append(html).Append("</div>\n");
    }

    string Chart(GenericChart chart)
    {
        Charts++;
        return "<div class=\"chart\">" + GenericChart.toChartHTML(chart) + "</div>";
    }

    void Error(Exception? e)
    {
        var text = e is null ? "unknown error" : $"{e.GetType().Name}: {e.Message}";
        body.Append($"<div class=\"error\" data-cell=\"{cell}\"><pre>{WebUtility.HtmlEncode(text)}</pre></div>\n");
        Console.Error.WriteLine($"cell {cell} failed: {text}");
    }

    void Write()
    {
        var html = $$"""
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{{WebUtility.HtmlEncode(title)}}</title>
            <style>body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;color:#222}
            .output{margin:.5em 0 1.5em} .error pre{color:#c62828} table{border-collapse:collapse}
            td,th{border-bottom:1px solid #ddd;padding:.2em .6em;text-align:right}</style></head><body>
            <p style="color:#666">{{WebUtility.HtmlEncode(title)}} — executed as a .NET file-based app (no notebook kernel), {{DateTime.Now:yyyy-MM-dd HH:mm}}</p>
            {{body}}
            </body></html>

            """;
        ResNetLab.Training.Runs.WriteAtomically(path, OfflineHtml.MakeOffline(html), "the notebook page");
    }

    /// <summary>Write the page (atomically) and say where it is.</summary>
    public void Dispose()
    {
        Lab.OutOfKernel = null;
        Write();
        Console.WriteLine($"{title}: {Charts} chart(s) → {path}");
    }
}
