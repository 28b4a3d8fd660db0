using System.Diagnostics;
using ResNetLab.Runtime;

namespace ResNetLab.Notebooks.Reports;

/// <summary>
/// Executes a notebook headlessly with the project's dotnet-repl (.tools/, FSharp.Core fixed by setup.sh),
/// from the notebooks folder (ENVIRONMENT Trap 4: #r paths resolve against the kernel's working directory).
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

    /// <summary>The project's dotnet-repl in .tools/; an error that says to run setup.sh when it is missing.</summary>
    public static string ReplPath()
    {
        var path = Path.Combine(RepoPaths.ToolsDir, "dotnet-repl");
        return File.Exists(path) ? path : throw new InvalidOperationException($"{path} not found: run bash environment/setup.sh (installs the notebook kernel tools)");
    }

    /// <summary>Run <paramref name="notebook"/> to the end in its own folder with <paramref name="environment"/>, killing it after <paramref name="timeout"/>.</summary>
    public static Result Execute(string notebook, string outputIpynb, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        notebook = Path.GetFullPath(notebook);
        if (!File.Exists(notebook)) throw new FileNotFoundException($"notebook {notebook} not found", notebook);
        var psi = new ProcessStartInfo(ReplPath())
        {
            WorkingDirectory = Path.GetDirectoryName(notebook)!,
            RedirectStandardOutput = true, RedirectStandardError = true,
            ArgumentList = { "--run", notebook, "--exit-after-run", "--output-path", Path.GetFullPath(outputIpynb), "--output-format", "ipynb" },
        };
        foreach (var (k, v) in environment) psi.Environment[k] = v;
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        var finished = p.WaitForExit(timeout);
        if (!finished) p.Kill(entireProcessTree: true);
        p.WaitForExit();
        return new Result(outputIpynb, finished ? p.ExitCode : -1, sw.Elapsed, !finished, (stdout.Result + stderr.Result).Trim());
    }
}
