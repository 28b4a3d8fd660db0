using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Playwright;
using ResNetLab.Runtime;

namespace ResNetLab.Notebooks.Reports;

/// <summary>What a real browser saw after <i>Run All</i> on one notebook in the classic Jupyter front end.</summary>
public sealed record LiveNotebookResult(
    string Notebook, int CodeCells, int ExecutedCells, int ExpectedCharts, int DrawnCharts,
    IReadOnlyList<string> CellErrors, IReadOnlyList<string> OutsideRequests, TimeSpan Duration, string? Screenshot, string? Problem = null)
{
    /// <summary>Every code cell ran without error, every chart output drew an svg, nothing was asked of the network.</summary>
    public bool Ok => Problem is null && ExecutedCells == CodeCells && DrawnCharts == ExpectedCharts && CellErrors.Count == 0 && OutsideRequests.Count == 0;

    /// <summary>One line for the log, naming the notebook and what failed.</summary>
    public string Describe() =>
        $"{Notebook}: {ExecutedCells}/{CodeCells} cells ran, {DrawnCharts}/{ExpectedCharts} charts drawn in {Duration.TotalSeconds:F0} s"
        + (Problem is null ? "" : $"; {Problem}")
        + (CellErrors.Count > 0 ? $"; cell errors: {string.Join(" | ", CellErrors)}" : "")
        + (OutsideRequests.Count > 0 ? $"; refused outside requests: {string.Join(", ", OutsideRequests.Take(5))}" : "")
        + (DrawnCharts < ExpectedCharts ? $"; {ExpectedCharts - DrawnCharts} chart(s) blank" : "");
}

/// <summary>
/// The live front end, checked by a real browser (issue 27): <c>jupyter notebook</c> (classic) on a free local port with
/// this checkout's kernel, headless Chromium allowed to reach that port only, <i>Cell → Run All</i> on each notebook,
/// then every chart output must hold a drawn plot (<c>.js-plotly-plot</c> with an svg) and no cell may fail. The
/// notebooks run from a scratch copy (their folder's layout kept), so the checkout's .ipynb files stay clean.
/// </summary>
public static class LiveCheck
{
    /// <summary>Serve <paramref name="notebooks"/> and check each; <paramref name="environment"/> reaches the kernel (budget, data, runs).</summary>
    public static async Task<IReadOnlyList<LiveNotebookResult>> RunAsync(IReadOnlyList<string> notebooks, IReadOnlyDictionary<string, string> environment,
                                                                       string outDir, TimeSpan perNotebook, Action<string>? log = null)
    {
        log ??= _ => { };
        Directory.CreateDirectory(outDir);
        var scratch = Directory.CreateTempSubdirectory("resnet-live-").FullName;
        try
        {
            var served = Stage(notebooks, scratch);
            var port = FreePort();
            var token = Guid.NewGuid().ToString("N");
            using var server = StartServer(served, port, token, scratch, environment);
            var baseUrl = $"http://127.0.0.1:{port}";
            await WaitForServer(baseUrl, token, server, TimeSpan.FromSeconds(60));
            log($"jupyter notebook serving {served} at {baseUrl}");
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await BrowserCheck.LaunchAsync(playwright);
            var results = new List<LiveNotebookResult>();
            foreach (var nb in notebooks)
            {
                var result = await CheckNotebook(browser, baseUrl, token, Path.GetFileName(nb), outDir, perNotebook);
                log("  live: " + result.Describe());
                results.Add(result);
            }
            try { server.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            return results;
        }
        finally
        {
            try { Directory.Delete(scratch, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// A copy of the notebooks folder's files that notebooks read (lab.csx, images, reference runs) plus the chosen notebooks,
    /// with artifacts/ beside it as in the checkout (lab.csx references ../artifacts/resnet).
    /// </summary>
    static string Stage(IReadOnlyList<string> notebooks, string scratch)
    {
        var source = Path.Combine(RepoPaths.Root, "notebooks");
        var target = Directory.CreateDirectory(Path.Combine(scratch, "notebooks")).FullName;
        File.Copy(Path.Combine(source, "lab.csx"), Path.Combine(target, "lab.csx"));
        foreach (var dir in Directory.EnumerateDirectories(source))
            Directory.CreateSymbolicLink(Path.Combine(target, Path.GetFileName(dir)), dir);
        Directory.CreateSymbolicLink(Path.Combine(scratch, "artifacts"), Path.Combine(RepoPaths.Root, "artifacts"));
        foreach (var nb in notebooks) File.Copy(nb, Path.Combine(target, Path.GetFileName(nb)));
        return target;
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    static readonly List<string> ServerLog = [];

    static Process StartServer(string notebookDir, int port, string token, string scratch, IReadOnlyDictionary<string, string> environment)
    {
        var psi = new ProcessStartInfo("jupyter")
        {
            WorkingDirectory = notebookDir, RedirectStandardOutput = true, RedirectStandardError = true,
            ArgumentList =
            {
                "notebook", "--no-browser", "--ip=127.0.0.1", $"--port={port}", "--port-retries=0", $"--NotebookApp.token={token}",
                $"--NotebookApp.notebook_dir={notebookDir}", "--NotebookApp.open_browser=False",
            },
        };
        if (Environment.UserName == "root") psi.ArgumentList.Add("--allow-root");   // CI containers run as root
        foreach (var (k, v) in environment) psi.Environment[k] = v;
        // No user configuration or extensions: the front end as a fresh install shows it.
        psi.Environment["JUPYTER_CONFIG_DIR"] = Directory.CreateDirectory(Path.Combine(scratch, "config")).FullName;
        psi.Environment["JUPYTER_RUNTIME_DIR"] = Directory.CreateDirectory(Path.Combine(scratch, "runtime")).FullName;
        try
        {
            var p = Process.Start(psi)!;
            p.OutputDataReceived += (_, _) => { };
            p.ErrorDataReceived += (_, e) => { if (e.Data is { } line) lock (ServerLog) ServerLog.Add(line); };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            return p;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"cannot start jupyter notebook: {e.Message} (bash environment/setup.sh installs jupyter-notebook)", e);
        }
    }

    static async Task WaitForServer(string baseUrl, string token, Process server, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (server.HasExited) throw new InvalidOperationException($"jupyter notebook exited ({server.ExitCode}) before serving: {string.Join(" | ", ServerLog.TakeLast(3))}");
            try
            {
                if ((await http.GetAsync($"{baseUrl}/api/status?token={token}")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(500);
        }
        throw new TimeoutException($"jupyter notebook did not answer at {baseUrl} within {timeout.TotalSeconds:F0} s");
    }

    const string CellStateScript = """
        () => {
          const cells = Jupyter.notebook.get_cells().filter(c => c.cell_type === 'code' && c.get_text().trim().length > 0);
          const outputs = cells.flatMap(c => c.output_area.outputs);
          const html = o => o.data && o.data['text/html'] ? [].concat(o.data['text/html']).join('') : '';
          return {
            code: cells.length,
            executed: cells.filter(c => typeof c.input_prompt_number === 'number').length,
            running: cells.filter(c => c.input_prompt_number === '*').length,
            charts: outputs.filter(o => html(o).includes('renderPlotly_')).length,
            drawn: Array.from(document.querySelectorAll('.js-plotly-plot')).filter(p => p.querySelector('svg.main-svg')).length,
            errors: cells.flatMap((c, i) => c.output_area.outputs.filter(o => o.output_type === 'error')
                                                   .map(o => `cell ${Jupyter.notebook.find_cell_index(c) + 1}: ${o.ename}: ${o.evalue}`)),
          };
        }
        """;

    sealed record CellState(int Code, int Executed, int Running, int Charts, int Drawn, string[] Errors)
    {
        public static CellState Of(System.Text.Json.JsonElement e) => new(
            e.GetProperty("code").GetInt32(), e.GetProperty("executed").GetInt32(), e.GetProperty("running").GetInt32(),
            e.GetProperty("charts").GetInt32(), e.GetProperty("drawn").GetInt32(),
            [.. e.GetProperty("errors").EnumerateArray().Select(x => x.GetString() ?? "")]);
    }

    static async Task<LiveNotebookResult> CheckNotebook(IBrowser browser, string baseUrl, string token, string file, string outDir, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        var name = Path.GetFileNameWithoutExtension(file);
        await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1200, Height = 900 } });
        var page = await context.NewPageAsync();
        var outside = new List<string>();
        // The kernel's own HTTP port (dotnet-interactive's /discovery, on any of this machine's addresses) is local too.
        var local = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(a => a.Address.ToString()).Append("localhost").ToHashSet();
        // Offline: only this machine answers; a CDN request is recorded and refused.
        await page.RouteAsync("**/*", async route =>
        {
            var url = route.Request.Url;
            if (url.StartsWith(baseUrl, StringComparison.Ordinal) || url.StartsWith("data:", StringComparison.Ordinal) || url.StartsWith("blob:", StringComparison.Ordinal))
                await route.ContinueAsync();
            else if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && local.Contains(uri.Host)) await route.AbortAsync();   // not the network: refused, not counted
            else { outside.Add(url); await route.AbortAsync(); }
        });
        CellState state = new(0, 0, 0, 0, 0, []);
        string? problem = null;
        try
        {
            await page.GotoAsync($"{baseUrl}/notebooks/{Uri.EscapeDataString(file)}?token={token}");
            await page.WaitForFunctionAsync("() => window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected()",
                null, new() { Timeout = 120_000, PollingInterval = 500 });
            await page.ClickAsync("#celllink");        // Cell → Run All, as a student does it
            await page.ClickAsync("#run_all_cells");
            var deadline = DateTime.UtcNow + timeout;
            var chartsDeadline = (DateTime?)null;
            while (true)
            {
                state = CellState.Of(await page.EvaluateAsync<System.Text.Json.JsonElement>(CellStateScript));
                var finished = state.Executed == state.Code && state.Running == 0;
                if (finished && state.Drawn >= state.Charts) break;
                if (finished) chartsDeadline ??= DateTime.UtcNow + TimeSpan.FromSeconds(20);   // give the last charts time to draw
                if (DateTime.UtcNow > deadline) { problem = $"not finished within {timeout.TotalMinutes:F0} min"; break; }
                if (chartsDeadline is { } d && DateTime.UtcNow > d) break;
                await Task.Delay(500);
            }
        }
        catch (TimeoutException e) { problem = "the notebook page or its kernel did not come up: " + e.Message.Split('\n')[0]; }
        catch (PlaywrightException e) { problem = e.Message.Split('\n')[0]; }
        string? shot = Path.Combine(outDir, name + ".live.png");
        try { await page.ScreenshotAsync(new() { Path = shot, FullPage = true }); } catch (PlaywrightException) { shot = null; }
        try { await page.EvaluateAsync("() => Jupyter.notebook.kernel.kill()"); } catch (PlaywrightException) { }
        return new LiveNotebookResult(name, state.Code, state.Executed, state.Charts, state.Drawn, state.Errors, outside.Distinct().ToList(), sw.Elapsed, shot, problem);
    }
}
