using ResNetLab.Notebooks.Reports;

namespace ResNetLab.Tests.Reports;

/// <summary>
/// Publishing an executed notebook (a real dotnet-repl output with a Plotly.NET.Interactive chart and a failing cell):
/// cleaning, error reporting, offline HTML, and a real headless Chromium drawing the chart with the network off.
/// </summary>
public class ReportTests
{
    static string Executed => TestPaths.Fixture("executed-with-error.ipynb");

    [Fact]
    public void Cleaning_removes_install_noise_and_numbers_cells()
    {
        var dir = TestPaths.TempDir("clean");
        try
        {
            var doc = ExecutedNotebook.Load(Executed).Clean();
            var path = Path.Combine(dir, "clean.ipynb");
            doc.Save(path);
            var text = File.ReadAllText(path);
            Assert.DoesNotContain("Installing Packages", text);
            Assert.DoesNotContain("Loading extensions from", text);
            Assert.Contains("\"execution_count\": 5", text);
            Assert.Contains("TorchSharp 0.107.0", text);   // real outputs survive
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Errors_name_the_notebook_cell_and_message()
    {
        var error = Assert.Single(ExecutedNotebook.Load(Executed).Errors());
        Assert.Equal("executed-with-error", error.Notebook);
        Assert.Equal(3, error.Cell);
        Assert.Contains("boom in cell", error.Error);
        Assert.Contains("throw new InvalidOperationException", error.FirstLine);
    }

    [Fact]
    public void Not_a_notebook_is_a_clear_error()
    {
        var dir = TestPaths.TempDir("bad");
        try
        {
            var path = Path.Combine(dir, "bad.ipynb");
            File.WriteAllText(path, "{ not json");
            var e = Assert.Throws<InvalidDataException>(() => ExecutedNotebook.Load(path));
            Assert.Contains("bad.ipynb", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>The fixture, cleaned and rendered to offline HTML in <paramref name="dir"/>.</summary>
    static (ExecutedNotebook Doc, string Html) RenderFixture(string dir)
    {
        var doc = ExecutedNotebook.Load(Executed).Clean();
        var ipynb = Path.Combine(dir, "probe.ipynb");
        doc.Save(ipynb);
        var html = Path.Combine(dir, "probe.html");
        OfflineHtml.Render(ipynb, html);
        return (doc, html);
    }

    [Fact]
    public async Task Offline_html_draws_every_chart_in_chromium_with_no_requests()
    {
        var dir = TestPaths.TempDir("html");
        try
        {
            var (doc, html) = RenderFixture(dir);
            Assert.Empty(OfflineHtml.ExternalReferences(File.ReadAllText(html)));

            var result = Assert.Single(await BrowserCheck.CheckAsync([(html, doc.ChartCount())]));
            Assert.True(result.Ok, result.Describe());
            Assert.Equal(1, result.DrawnCharts);
            Assert.True(File.Exists(result.Screenshot));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public async Task Browser_check_fails_when_plotly_is_not_inlined_or_a_request_leaves_the_page()
    {
        var dir = TestPaths.TempDir("html-bad");
        try
        {
            var (_, html) = RenderFixture(dir);
            // Undo the inlining: the page now asks the CDN through requirejs, as Plotly.NET.Interactive emits it.
            var text = File.ReadAllText(html);
            var start = text.IndexOf("<script>/* plotly-", StringComparison.Ordinal);
            var end = text.IndexOf("</script>", text.IndexOf("window.requirejs", start, StringComparison.Ordinal), StringComparison.Ordinal) + "</script>".Length;
            File.WriteAllText(html, text[..start] + "<script src=\"https://cdn.example.invalid/require.js\"></script>" + text[end..]);

            var result = Assert.Single(await BrowserCheck.CheckAsync([(html, 1)], screenshots: false, chartTimeout: TimeSpan.FromSeconds(3)));
            Assert.False(result.Ok);
            Assert.Equal(0, result.DrawnCharts);
            Assert.NotEmpty(result.FailedRequests);
        }
        finally { Directory.Delete(dir, true); }
    }
}
