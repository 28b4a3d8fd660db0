using System.Diagnostics;
using System.Text.Json.Nodes;
using ResNetLab.Notebooks.Reports;

namespace ResNetLab.Tests.Notebooks;

/// <summary>The kernel spec environment/jupyter-kernel.sh writes (setup.sh registers the same for the user).</summary>
public class JupyterKernelTests
{
    static (int Code, string Output) Bash(params string[] args)
    {
        var psi = new ProcessStartInfo("bash") { WorkingDirectory = TestPaths.Root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }

    [Fact]
    public void The_kernel_spec_runs_this_checkouts_tool_by_absolute_path_under_the_notebooks_kernel_name()
    {
        var dir = TestPaths.TempDir("kernelspec");
        try
        {
            var (code, output) = Bash("environment/jupyter-kernel.sh", "--dir", dir);
            Assert.True(code == 0, output);
            // the folder name is the kernel name, and it must be the one every notebook's metadata asks for
            foreach (var nb in Directory.GetFiles(Path.Combine(TestPaths.Root, "notebooks"), "*.ipynb"))
            {
                var name = (string?)JsonNode.Parse(File.ReadAllText(nb))?["metadata"]?["kernelspec"]?["name"];
                Assert.True(name == NotebookRunner.KernelName, $"{Path.GetFileName(nb)} asks for kernel '{name}'");
            }
            var spec = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, NotebookRunner.KernelName, "kernel.json")))!;
            var argv = spec["argv"]!.AsArray().Select(a => (string?)a).ToList();
            var tool = Path.Combine(TestPaths.Root, ".tools", "dotnet-interactive");
            Assert.Equal([tool, "jupyter", "--default-kernel", "csharp", "{connection_file}", "--http-port-range", "2048-3000"], argv);
            Assert.True(Path.IsPathRooted(argv[0]) && File.Exists(argv[0]), $"{argv[0]} is not an existing absolute path");
            Assert.Equal(".NET (C#)", (string?)spec["display_name"]);
            Assert.Equal("C#", (string?)spec["language"]);
            Assert.Equal(Path.Combine(TestPaths.Root, "artifacts", "resnet"), (string?)spec["env"]?["LD_LIBRARY_PATH"]);   // Trap 2
            Assert.True(File.Exists(Path.Combine((string)spec["env"]!["DOTNET_ROOT"]!, "dotnet")), "DOTNET_ROOT must hold the dotnet host");

            // idempotent: a second run writes the same spec
            var first = File.ReadAllText(Path.Combine(dir, NotebookRunner.KernelName, "kernel.json"));
            Assert.Equal(0, Bash("environment/jupyter-kernel.sh", "--dir", dir).Code);
            Assert.Equal(first, File.ReadAllText(Path.Combine(dir, NotebookRunner.KernelName, "kernel.json")));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Bad_arguments_name_the_flag()
    {
        var (code, output) = Bash("environment/jupyter-kernel.sh", "--dri", "x");
        Assert.Equal(2, code);
        Assert.Contains("unknown argument --dri", output);
    }

    [Fact]
    public void The_kernels_http_bootstrap_script_is_noise_in_a_published_page()
    {
        var bootstrap = (JsonObject)JsonNode.Parse("""
            {"output_type":"display_data","data":{"text/html":["<div><div id='dotnet-interactive-this-cell-$CACHE_BUSTER$'></div>",
             "<script>async function probeAddresses(probingAddresses) { fetch('http://127.0.0.1:2048/discovery') }</script></div>"]}}
            """)!;
        Assert.True(ExecutedNotebook.IsNoise(bootstrap));
        var chart = (JsonObject)JsonNode.Parse("""{"output_type":"display_data","data":{"text/html":["<div id='x'></div><script>renderPlotly_x()</script>"]}}""")!;
        Assert.False(ExecutedNotebook.IsNoise(chart));
    }

    [Fact]
    public void Missing_charts_are_a_failure_even_without_a_cell_error()
    {
        var dir = TestPaths.TempDir("charts");
        try
        {
            var executed = ExecutedNotebook.Load(TestPaths.Fixture("executed-with-error.ipynb"));
            Assert.True(executed.ChartCount() > 0);
            // the other engine's copy of the same notebook has the same charts: no complaint
            File.Copy(TestPaths.Fixture("executed-with-error.ipynb"), Path.Combine(dir, "executed-with-error.ipynb"));
            var nb = TestPaths.Fixture("executed-with-error.ipynb");
            Assert.Empty(ReportBuilder.MissingCharts(nb, executed, dir));
            // a notebook that draws (Figures.*) but produced no chart: one error naming it
            var source = Path.Combine(dir, "draws.ipynb");
            File.WriteAllText(source, """{"cells":[{"cell_type":"markdown","source":["# t"]},{"cell_type":"code","source":["Figures.Compare(x)"],"outputs":[]}]}""");
            var empty = ExecutedNotebook.Load(source);
            var error = Assert.Single(ReportBuilder.MissingCharts(source, empty, null));
            Assert.Contains("no chart output", error.Error);
            Assert.Equal((2, "Figures.Compare(x)"), (error.Cell, error.FirstLine));
            // fewer charts than the other engine's run of the same notebook
            var fewer = ExecutedNotebook.Load(source, "executed-with-error");
            Assert.Contains(ReportBuilder.MissingCharts(source, fewer, dir), e => e.Error.Contains("has " + executed.ChartCount(), StringComparison.Ordinal));
        }
        finally { Directory.Delete(dir, true); }
    }
}
