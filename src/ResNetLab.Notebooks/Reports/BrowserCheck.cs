using Microsoft.Playwright;

namespace ResNetLab.Notebooks.Reports;

/// <summary>What a real browser saw on one report page.</summary>
public sealed record BrowserResult(
    string Page, int ExpectedCharts, int DrawnCharts, IReadOnlyList<int> TracesPerChart,
    IReadOnlyList<string> JsErrors, IReadOnlyList<string> FailedRequests, string? Screenshot)
{
    /// <summary>Every expected chart drawn with data, no script error, no outside request.</summary>
    public bool Ok => DrawnCharts == ExpectedCharts && TracesPerChart.All(t => t > 0) && JsErrors.Count == 0 && FailedRequests.Count == 0;

    /// <summary>One line for the log: what was drawn, and what failed.</summary>
    public string Describe() => Ok
        ? $"{Path.GetFileName(Page)}: {DrawnCharts}/{ExpectedCharts} charts drawn, no JS errors, no requests"
        : $"{Path.GetFileName(Page)}: {DrawnCharts}/{ExpectedCharts} charts drawn"
          + (TracesPerChart.Any(t => t == 0) ? $"; {TracesPerChart.Count(t => t == 0)} chart(s) without data traces" : "")
          + (JsErrors.Count > 0 ? $"; JS errors: {string.Join(" | ", JsErrors)}" : "")
          + (FailedRequests.Count > 0 ? $"; blocked/failed requests: {string.Join(", ", FailedRequests)}" : "");
}

/// <summary>
/// Opens report pages in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) with the network off,
/// and checks that every chart output was drawn with data, no script failed and nothing was requested from outside.
/// </summary>
public static class BrowserCheck
{
    /// <summary>RESNET_CHROMIUM, else the first Chromium found on the usual paths.</summary>
    public static string? FindChromium() =>
        new[] { Environment.GetEnvironmentVariable("RESNET_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }
            .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p));

    /// <summary>Open each page in headless Chromium with the network off and report what it drew.</summary>
    /// <param name="pages">Report pages with the number of charts each must draw.</param>
    /// <param name="screenshots">Save a PNG beside each page.</param>
    /// <param name="chartTimeout">How long to wait for the charts to draw; null: 30 s.</param>
    public static async Task<IReadOnlyList<BrowserResult>> CheckAsync(
        IEnumerable<(string HtmlPath, int ExpectedCharts)> pages, bool screenshots = true, TimeSpan? chartTimeout = null)
    {
        _ = FindChromium() ?? throw new InvalidOperationException(
            "Chromium not found (looked at RESNET_CHROMIUM, /usr/bin/chromium): run bash environment/setup.sh (apt package chromium)");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var results = new List<BrowserResult>();
        foreach (var (html, expected) in pages)
            results.Add(await CheckPageAsync(browser, Path.GetFullPath(html), expected, screenshots, chartTimeout ?? TimeSpan.FromSeconds(30)));
        return results;
    }

    /// <summary>Headless Chromium (RESNET_CHROMIUM or the system one) with background networking off: the reports' and the live check's browser.</summary>
    public static Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        var chromium = FindChromium() ?? throw new InvalidOperationException(
            "Chromium not found (looked at RESNET_CHROMIUM, /usr/bin/chromium): run bash environment/setup.sh (apt package chromium)");
        return playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        });
    }

    static async Task<BrowserResult> CheckPageAsync(IBrowser browser, string html, int expected, bool screenshot, TimeSpan timeout)
    {
        await using var context = await browser.NewContextAsync(new() { Offline = true, ViewportSize = new() { Width = 1200, Height = 900 } });
        var page = await context.NewPageAsync();
        var jsErrors = new List<string>();
        var failed = new List<string>();
        page.PageError += (_, e) => jsErrors.Add(e);
        page.Console += (_, m) => { if (m.Type == "error") jsErrors.Add(m.Text); };
        page.RequestFailed += (_, r) => failed.Add(r.Url);
        // Only the page itself may load: anything else (CDN, file://, data fetch) is recorded and refused.
        var self = new Uri(html).AbsoluteUri;
        await page.RouteAsync("**/*", async route =>
        {
            if (route.Request.Url == self || route.Request.Url.StartsWith("data:", StringComparison.Ordinal)) await route.ContinueAsync();
            else { failed.Add(route.Request.Url); await route.AbortAsync(); }
        });
        await page.GotoAsync(self, new() { WaitUntil = WaitUntilState.Load });
        var deadline = DateTime.UtcNow + timeout;
        int drawn;
        while ((drawn = await page.EvaluateAsync<int>("document.querySelectorAll('.js-plotly-plot .main-svg').length > 0 ? document.querySelectorAll('.js-plotly-plot').length : 0")) < expected
               && DateTime.UtcNow < deadline)
            await Task.Delay(250);
        var traces = await page.EvaluateAsync<int[]>("Array.from(document.querySelectorAll('.js-plotly-plot')).map(g => (g.data || []).length)");
        string? shot = null;
        if (screenshot)
        {
            shot = Path.ChangeExtension(html, ".png");
            await page.ScreenshotAsync(new() { Path = shot, FullPage = true });
        }
        return new BrowserResult(html, expected, drawn, traces, jsErrors, failed.Distinct().ToList(), shot);
    }
}
