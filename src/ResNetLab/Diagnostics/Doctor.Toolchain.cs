using System.Diagnostics;
using System.Text.Json.Nodes;

using ResNetLab.Runtime;

namespace ResNetLab.Diagnostics;

/// <summary>The toolchain the project was tested with (environment/versions.env), and how this machine differs.</summary>
public static class Toolchain
{
    /// <summary>The one place the tested versions live, relative to the checkout.</summary>
    public const string VersionsFile = "environment/versions.env";

    /// <summary>The Jupyter kernel spec name the notebooks' metadata asks for.</summary>
    public const string KernelName = ".net-csharp";

    /// <summary>KEY=value lines of environment/versions.env (comments and blanks skipped).</summary>
    public static IReadOnlyDictionary<string, string> Tested(string? root = null)
    {
        var path = Path.Combine(root ?? RepoPaths.Root, VersionsFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} not found (the tested tool versions live there)", path);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (line, n) in File.ReadLines(path).Select((l, i) => (l.Trim(), i + 1)))
        {
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var eq = line.IndexOf('=');
            if (eq <= 0) throw new InvalidDataException($"{path}:{n}: expected KEY=value, got '{line}'");
            result[line[..eq].Trim()] = line[(eq + 1)..].Trim().Trim('"');
        }
        return result;
    }

    /// <summary>Versions of a project-local .NET tool installed in .tools/ (from its store folder).</summary>
    public static IReadOnlyList<string> InstalledToolVersions(string toolsDir, string packageId)
    {
        var dir = Path.Combine(toolsDir, ".store", packageId.ToLowerInvariant());
        return Directory.Exists(dir) ? Directory.EnumerateDirectories(dir).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList() : [];
    }

    /// <summary>The `.net-csharp` kernel spec Jupyter resolves (its folder and kernel.json), or null when none is registered.</summary>
    public static (string Folder, JsonObject Spec)? FindKernelSpec(out string? problem)
    {
        problem = null;
        var list = Doctor.RunProcessPublic("jupyter", "kernelspec list --json");
        if (list is null) { problem = "jupyter (jupyter-client) is not installed"; return null; }
        var folder = (string?)JsonNode.Parse(list)?["kernelspecs"]?[KernelName]?["resource_dir"];
        if (folder is null) return null;
        var spec = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "kernel.json"))) as JsonObject;
        return spec is null ? null : (folder, spec);
    }
}

public static partial class Doctor
{
    internal static string? RunProcessPublic(string file, string args) => RunProcess(file, args);

    static Check ToolchainCheck() => Safe("toolchain", () =>
    {
        var root = RepoPaths.TryRoot();
        if (root is null) return new Check("toolchain", CheckStatus.Warn, "not inside the checkout: cannot read environment/versions.env");
        var tested = Toolchain.Tested(root);
        var notes = new List<string>();
        // `dotnet --version` in the checkout: the SDK global.json selects
        var sdk = RunProcessIn("dotnet", "--version", root)?.Trim();
        if (sdk is null) notes.Add("no dotnet SDK on PATH");
        else if (tested.TryGetValue("DOTNET_SDK_TESTED", out var want) && sdk != want) notes.Add($"SDK {sdk} (tested: {want})");
        var tools = Path.Combine(root, ".tools");
        foreach (var (id, key) in new[] { ("dotnet-repl", "DOTNET_REPL_VERSION"), ("microsoft.dotnet-interactive", "DOTNET_INTERACTIVE_VERSION") })
        {
            var have = Toolchain.InstalledToolVersions(tools, id);
            if (tested.TryGetValue(key, out var v) && have.Count > 0 && !have.Contains(v)) notes.Add($"{id} {string.Join("/", have)} (tested: {v})");
        }
        var summary = $"SDK {sdk ?? "?"}, dotnet-repl {tested.GetValueOrDefault("DOTNET_REPL_VERSION")}, dotnet-interactive {tested.GetValueOrDefault("DOTNET_INTERACTIVE_VERSION")}";
        return notes.Count == 0
            ? new Check("toolchain", CheckStatus.Ok, $"{summary}: as tested ({Toolchain.VersionsFile})")
            : new Check("toolchain", CheckStatus.Warn, $"differs from the tested toolchain: {string.Join("; ", notes)} — it may work; report problems with these versions",
                $"install the tested SDK (global.json), or re-run {Setup} for the tested tool versions");
    });

    static Check JupyterKernel(bool start) => Safe("jupyter kernel", () =>
    {
        const string name = "jupyter kernel";
        var root = RepoPaths.TryRoot();
        if (root is null) return new Check(name, CheckStatus.Warn, "not inside the checkout");
        var found = Toolchain.FindKernelSpec(out var problem);
        if (problem is not null) return new Check(name, CheckStatus.Warn, $"{problem} (needed only to open the notebooks in Jupyter)", Setup);
        if (found is null) return new Check(name, CheckStatus.Fail, $"no '{Toolchain.KernelName}' kernel spec registered: Jupyter cannot run the notebooks", Setup + "  (or: bash environment/jupyter-kernel.sh)");
        var (folder, spec) = found.Value;
        var argv0 = (string?)(spec["argv"] as JsonArray)?.FirstOrDefault();
        var ours = Path.Combine(root, ".tools", "dotnet-interactive");
        if (argv0 is null || !File.Exists(argv0))
            return new Check(name, CheckStatus.Fail, $"{folder}/kernel.json runs '{argv0}', which does not exist", Setup);
        if (Path.GetFullPath(argv0) != ours)
            return new Check(name, CheckStatus.Warn, $"{folder} runs {argv0}, not this checkout's {ours} (another checkout registered it)",
                "bash environment/jupyter-kernel.sh   (registers this checkout's kernel for your user)");
        var detail = $"'{Toolchain.KernelName}' ({(string?)spec["display_name"]}) in {folder} runs this checkout's .tools/dotnet-interactive";
        if (!start) return new Check(name, CheckStatus.Ok, detail + " (resnet doctor --kernel also starts it)");
        var (ok, said) = StartKernel();
        return ok ? new Check(name, CheckStatus.Ok, detail + $"; started it and ran a C# cell: {said}")
            : new Check(name, CheckStatus.Fail, detail + $", but it did not start: {said}", Setup);
    });

    /// <summary>Start the registered kernel through jupyter_client, run one C# cell, shut it down.</summary>
    static (bool Ok, string Said) StartKernel()
    {
        const string script = """
            import sys
            from jupyter_client.manager import start_new_kernel
            km, kc = start_new_kernel(kernel_name=sys.argv[1], startup_timeout=120)
            try:
                out = []
                reply = kc.execute_interactive('System.Environment.Version.ToString()', timeout=120,
                    output_hook=lambda m: out.append(m['content']['data'].get('text/plain', '') if m['msg_type'] == 'execute_result' else ''))
                print('RESULT:', reply['content']['status'], '.NET', ''.join(out).strip(), flush=True)
            finally:
                kc.stop_channels(); km.shutdown_kernel(now=True)
            """;
        // the python that runs `jupyter` (Debian: /usr/bin/python3) has jupyter_client; another python3 on PATH may not
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, ArgumentList = { "-c", script, Toolchain.KernelName } };
        psi.Environment["PYDEVD_DISABLE_FILE_VALIDATION"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3))) { p.Kill(true); return (false, "timed out after 3 min"); }
        // the kernel shares our stdout (its log lines come first): find the result line
        var said = stdout.Result.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith("RESULT: ", StringComparison.Ordinal))?["RESULT: ".Length..] ?? "";
        return said.StartsWith("ok ", StringComparison.Ordinal)
            ? (true, said[3..].Trim())
            : (false, (said + " " + stderr.Result.Trim().Split('\n').LastOrDefault(l => l.Contains("Error", StringComparison.Ordinal))).Trim());
    }

    static string? RunProcessIn(string file, string args, string workingDirectory)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory })!;
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 ? output.Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }
}
