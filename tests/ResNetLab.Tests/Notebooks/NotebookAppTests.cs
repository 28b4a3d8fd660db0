using System.Diagnostics;
using System.Text.RegularExpressions;
using ResNetLab.Notebooks.Apps;
using ResNetLab.Notebooks.Reports;

namespace ResNetLab.Tests.Notebooks;

/// <summary>Notebooks as .NET 10 file-based apps: generated from the cells, run with `dotnet run`, no kernel.</summary>
public class NotebookAppTests
{
    static string Notebook(string name) => Path.Combine(TestPaths.Root, "notebooks", name + ".ipynb");

    /// <summary>Apps must sit inside the checkout: Directory.Packages.props / Build.props apply to them from there.</summary>
    static string AppDir() => Path.Combine(TestPaths.Root, "artifacts", "apps-test", Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public void Every_notebook_becomes_an_app_with_the_project_directive_and_no_kernel_directives()
    {
        foreach (var nb in Directory.GetFiles(Path.Combine(TestPaths.Root, "notebooks"), "*.ipynb"))
        {
            var app = Path.Combine(TestPaths.Root, "artifacts", "apps", Path.GetFileNameWithoutExtension(nb) + ".cs");
            var code = NotebookApp.Generate(nb, app, TestPaths.Root);
            Assert.Contains("#:project ../../src/ResNetLab.Notebooks/ResNetLab.Notebooks.csproj", code);
            Assert.DoesNotMatch(new Regex(@"^\s*#(r|load)\s", RegexOptions.Multiline), code);
            // every using directive precedes the first statement (C# requires it in a file)
            var lines = code.Split('\n');
            var firstStatement = Array.FindIndex(lines, l => l.StartsWith("using var page", StringComparison.Ordinal));
            Assert.True(firstStatement > 0, nb);
            Assert.DoesNotContain(lines.Skip(firstStatement + 1), l => Regex.IsMatch(l, @"^using [A-Za-z]"));
        }
    }

    [Fact]
    public void A_cells_trailing_expression_is_shown_and_statements_are_kept()
    {
        var code = NotebookApp.Generate(Notebook("01-residual-learning"), Path.Combine(TestPaths.Root, "artifacts", "apps", "01.cs"), TestPaths.Root);
        Assert.Contains("page.Result(() => PaperTables.CifarParameters());", code);
        Assert.Contains("page.Result(() => Figures.Compare(PaperTables.CifarParametersComparison(),", code);
        Assert.Contains("var lab = Lab.Setup(notebook: \"01-residual-learning\");", code);
        Assert.Contains("var sizes = Findings.ModelSizes();", code);
        // The cell that defines a class: the class goes after every top-level statement, as a file-based app requires.
        Assert.True(code.IndexOf("class MyResidualBlock", StringComparison.Ordinal) > code.LastIndexOf("page.Cell(", StringComparison.Ordinal));
        Assert.Contains("page.Markdown(\"\"\"\n# 01 · Residual learning", code);
        Assert.Contains("using static TorchSharp.torch;", code);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task The_generated_app_of_notebook_01_runs_and_writes_its_charts_and_tables_to_an_offline_page()
    {
        var dir = AppDir();
        try
        {
            var app = Path.Combine(dir, "01-residual-learning.cs");
            Directory.CreateDirectory(dir);
            File.WriteAllText(app, NotebookApp.Generate(Notebook("01-residual-learning"), app, TestPaths.Root));
            var html = Path.Combine(dir, "page.html");
            var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = TestPaths.Root, RedirectStandardOutput = true, RedirectStandardError = true, ArgumentList = { "run", app, "--", html } };
            psi.Environment["RESNET_BUDGET"] = "smoke";
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
            await p.WaitForExitAsync(timeout.Token);
            var (output, errors) = (await stdout, await stderr);
            Assert.True(p.ExitCode == 0, $"dotnet run exited {p.ExitCode}:\n{output}\n{errors}");
            // 01 draws the block diagram's companions and the student's-net-vs-twin curves: at least three charts.
            var written = Regex.Match(output, @"(\d+) chart\(s\)");
            Assert.True(written.Success, $"the app did not say how many charts it wrote:\n{output}");
            var charts = int.Parse(written.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(charts >= 3, $"{charts} chart(s): notebook 01 draws at least three");

            var page = File.ReadAllText(html);
            Assert.Equal(charts, Regex.Matches(page, "<div class=\"chart\">").Count);
            Assert.True(Regex.Matches(page, @"Plotly\.newPlot\(").Count >= charts, "the charts' plot calls are missing");
            Assert.Contains("Table 6", page);                    // the parameters table beside the paper
            Assert.Contains("smoke (smoke: CI-sized", page);     // Lab.Setup's banner (Lab.Show) reached the page
            Assert.Contains("01-residual-learning at budget smoke: ", page);   // and before it, what the notebook trains and costs
            Assert.True(page.IndexOf("01-residual-learning at budget smoke: ", StringComparison.Ordinal) < page.IndexOf("smoke (smoke: CI-sized", StringComparison.Ordinal));
            Assert.DoesNotContain("class=\"error\"", page);
            Assert.Empty(OfflineHtml.ExternalReferences(page));  // offline: plotly.js inlined
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }
}
