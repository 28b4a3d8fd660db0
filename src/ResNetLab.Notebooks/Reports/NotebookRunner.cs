using System.Diagnostics;
using ResNetLab.Runtime;

namespace ResNetLab.Notebooks.Reports;

/// <summary>
/// What executes a notebook headlessly. Two independent engines run the same .ipynb files: that they agree is the proof
/// the notebooks are plain, portable Jupyter notebooks.
/// </summary>
public enum NotebookEngine
{
    /// <summary>The project's dotnet-repl (.tools/): runs every cell even after a failure; the default for reports.</summary>
    Repl,

    /// <summary>Jupyter itself: <c>jupyter nbconvert --execute</c> with the `.net-csharp` kernel spec of this checkout.</summary>
    Jupyter,
}

/// <summary>
/// Executes a notebook headlessly with the project's kernel tools (.tools/, FSharp.Core fixed by setup.sh), from the
/// notebooks folder (ENVIRONMENT Trap 4: #r paths resolve against the kernel's working directory).
/// </summary>
public static class NotebookRunner
{
    /// <summary>What one headless execution left behind.</summary>
    /// <param name="OutputIpynb">The executed notebook dotnet-repl wrote (absent if the kernel died first).</param>
    /// <param name="ExitCode">dotnet-repl's exit code; -1 when it was killed at the timeout.</param>
    /// <param name="Duration">Wall time of the execution.</param>
    /// <param name="TimedOut">The timeout was reached and the process tree killed.</param>
    /// <param name="Log">dotnet-repl's standard output and error.</param>
    public sealed record Result(string OutputIpynb, int ExitCode, TimeSpan Duration, bool TimedOut, string Log);

    /// <summary>The kernel spec name the notebooks' metadata asks for (kernelspec.name).</summary>
    public const string KernelName = ".net-csharp";

    /// <summary>The project's dotnet-repl in .tools/; an error that says to run setup.sh when it is missing.</summary>
    public static string ReplPath()
    {
        var path = Path.Combine(RepoPaths.ToolsDir, "dotnet-repl");
        return File.Exists(path) ? path : throw new InvalidOperationException($"{path} not found: run bash environment/setup.sh (installs the notebook kernel tools)");
    }

    /// <summary>repl (dotnet-repl, the default) or jupyter (nbconvert with this checkout's kernel).</summary>
    public static NotebookEngine ParseEngine(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" or "repl" or "dotnet-repl" => NotebookEngine.Repl,
        "jupyter" => NotebookEngine.Jupyter,
        _ => throw new ArgumentException($"engine '{text}' is not one of: repl, jupyter"),
    };

    /// <summary>
    /// A kernel spec folder for this checkout (artifacts/jupyter/kernels/.net-csharp, written by
    /// environment/jupyter-kernel.sh --dir), to put first on JUPYTER_PATH: CI then executes with this checkout's kernel
    /// whatever another checkout registered for the user. Returns the JUPYTER_PATH entry.
    /// </summary>
    public static string PrepareJupyterKernel()
    {
        var root = RepoPaths.Root;
        var jupyterPath = Path.Combine(root, "artifacts", "jupyter");
        var script = Path.Combine(root, "environment", "jupyter-kernel.sh");
        var (code, log) = Run("bash", [script, "--dir", Path.Combine(jupyterPath, "kernels")], root, new Dictionary<string, string>(), TimeSpan.FromMinutes(2));
        if (code != 0) throw new InvalidOperationException($"{script} --dir failed ({code}): {log.Trim()}");
        return jupyterPath;
    }

    /// <summary>Run <paramref name="notebook"/> to the end in its own folder with <paramref name="environment"/>, killing it after <paramref name="timeout"/>.</summary>
    public static Result Execute(string notebook, string outputIpynb, IReadOnlyDictionary<string, string> environment, TimeSpan timeout,
                                 NotebookEngine engine = NotebookEngine.Repl)
    {
        notebook = Path.GetFullPath(notebook);
        if (!File.Exists(notebook)) throw new FileNotFoundException($"notebook {notebook} not found", notebook);
        outputIpynb = Path.GetFullPath(outputIpynb);
        var sw = Stopwatch.StartNew();
        if (engine == NotebookEngine.Repl)
        {
            var (code, log) = Run(ReplPath(), ["--run", notebook, "--exit-after-run", "--output-path", outputIpynb, "--output-format", "ipynb"],
                Path.GetDirectoryName(notebook)!, environment, timeout);
            return new Result(outputIpynb, code, sw.Elapsed, code == TimedOutCode, log);
        }
        // nbconvert appends .ipynb to --output unless it ends so; it runs the kernel in the notebook's folder.
        // allow_errors: keep going and write the notebook, so the report names the failing cell (as with dotnet-repl).
        var written = outputIpynb.EndsWith(".ipynb", StringComparison.Ordinal) ? outputIpynb : outputIpynb + ".ipynb";
        var seconds = ((int)Math.Ceiling(timeout.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (jcode, jlog) = Run("jupyter", ["nbconvert", "--to", "notebook", "--execute", notebook,
                $"--ExecutePreprocessor.kernel_name={KernelName}", $"--ExecutePreprocessor.timeout={seconds}",
                "--ExecutePreprocessor.allow_errors=True",
                "--output-dir", Path.GetDirectoryName(written)!, "--output", Path.GetFileName(written)],
            Path.GetDirectoryName(notebook)!, environment, timeout);
        if (written != outputIpynb && File.Exists(written)) File.Move(written, outputIpynb, overwrite: true);
        return new Result(outputIpynb, jcode, sw.Elapsed, jcode == TimedOutCode, jlog);
    }

    const int TimedOutCode = -1;

    static (int Code, string Log) Run(string file, IEnumerable<string> args, string workingDirectory, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment) psi.Environment[k] = v;
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"cannot start {file}: {e.Message} (bash environment/setup.sh installs what notebooks need)", e);
        }
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            var finished = p.WaitForExit(timeout);
            if (!finished) p.Kill(entireProcessTree: true);
            p.WaitForExit();
            return (finished ? p.ExitCode : TimedOutCode, (stdout.Result + stderr.Result).Trim());
        }
    }
}
