using System.Diagnostics;
using System.Reflection;
using System.Text;
using ResNetLab.Data;
using ResNetLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNetLab.Diagnostics;

/// <summary>The outcome of one doctor check.</summary>
public enum CheckStatus
{
    /// <summary>Works as expected.</summary>
    Ok,

    /// <summary>Usable, but something is missing (e.g. no SDK on PATH, no report tools).</summary>
    Warn,

    /// <summary>Broken; the check's fix says what to run.</summary>
    Fail,
}

/// <summary>One environment check. <see cref="Fix"/> says what to run when it is not ok.</summary>
public sealed record Check(string Name, CheckStatus Status, string Detail, string? Fix = null);

/// <summary>
/// The environment checks behind `resnet doctor` and the 00-setup notebook. Each check is independent and never
/// throws: a failure becomes a <see cref="Check"/> with a fix.
/// </summary>
public static partial class Doctor
{
    const string Setup = "bash environment/setup.sh";
    /// <summary>The glibc++ compatibility shim patched into libLibTorchSharp.so on hosts without GLIBCXX_3.4.32 (ENVIRONMENT Trap 1).</summary>
    public const string ShimName = "libresnetlab_glibcxx_shim.so";

    /// <summary>Every check in order: SDK, libstdc++ fix, TorchSharp and natives, kernel tools, Plotly, report tools, data, CUDA, threads; never throws.</summary>
    /// <param name="dataFlag">A data folder given on the command line; default RESNET_DATA, then data/.</param>
    /// <param name="startKernel">also start the registered Jupyter kernel and run a cell (slow: tens of seconds)</param>
    public static IReadOnlyList<Check> RunAll(string? dataFlag = null, bool startKernel = false)
    {
        var checks = new List<Check> { Version(), DotNet(), ToolchainCheck(), LibStdCxx() };
        var torchOk = Torch(checks);
        if (torchOk) checks.Add(Natives());
        checks.Add(KernelTools());
        checks.Add(JupyterKernel(startKernel));
        checks.Add(PlotlyOffline());
        checks.Add(ReportTools());
        checks.Add(DataCheck(dataFlag));
        if (torchOk)
        {
            checks.Add(new Check("cuda", CheckStatus.Ok, cuda.is_available()
                ? $"CUDA visible ({cuda.device_count()} device(s))"
                : "no CUDA device visible: training runs on CPU (GPU build: see docs/cluster.md, 'GPU')"));
            checks.Add(new Check("threads", CheckStatus.Ok, $"{get_num_threads()} torch threads on {Environment.ProcessorCount} cores; " +
                $"{CoreShare.WaitPolicyVariable}={CoreShare.NativeWaitPolicy() ?? "unset"} (idle OpenMP threads sleep instead of spinning)"));
            checks.Add(new Check("native heap", CheckStatus.Ok, NativeHeap.Setting.Note));
            checks.Add(TorchRuntime.Sharing?.Note is { } note
                ? new Check("cores", CheckStatus.Warn, note, "wait for it, or give each training an explicit thread count so that together they fit the cores")
                : new Check("cores", CheckStatus.Ok, "no other training on this machine keeps a core busy"));
            checks.Add(new Check("cpu", CheckStatus.Ok, $"{CpuFeatures.Describe()}; --precision auto trains in " +
                (CpuFeatures.HasNativeBf16 ? "bf16 (native BF16 instructions)" : "fp32 (no native BF16: bf16 would be emulated and slower)")));
        }
        return checks;
    }

    /// <summary>The project's version (the one `resnet --version` prints).</summary>
    public static string ProjectVersion =>
        (typeof(Doctor).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown").Split('+')[0];

    static Check Version() => new("version", CheckStatus.Ok, $"ResNetNotebooks {ProjectVersion}");

    static Check Safe(string name, Func<Check> body)
    {
        try { return body(); }
        catch (Exception e) { return new Check(name, CheckStatus.Fail, e.Message, Setup); }
    }

    static Check DotNet() => Safe("dotnet", () =>
    {
        var sdks = RunProcess("dotnet", "--list-sdks");
        var has10 = sdks?.Split('\n').Any(l => l.StartsWith("10.", StringComparison.Ordinal)) ?? false;
        return has10
            ? new Check("dotnet", CheckStatus.Ok, $".NET runtime {Environment.Version}; SDK {sdks!.Split('\n').Last(l => l.StartsWith("10.", StringComparison.Ordinal)).Split(' ')[0]}")
            : new Check("dotnet", CheckStatus.Warn, $".NET runtime {Environment.Version}; no .NET 10 SDK found on PATH (needed to build)",
                "install the .NET 10 SDK (https://dot.net), then " + Setup);
    });

    /// <summary>Does the host's libstdc++ provide GLIBCXX_3.4.32 (GCC 13+)? Null when it cannot be found.</summary>
    public static bool? HostHasGlibcxx3432()
    {
        var lib = new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6" }
            .FirstOrDefault(File.Exists);
        return lib is null ? null : ContainsAscii(lib, "GLIBCXX_3.4.32");
    }

    /// <summary>The libLibTorchSharp.so this process uses (or would use), or null.</summary>
    public static string? LibTorchSharpPath()
    {
        var mapped = MappedLibraries().FirstOrDefault(p => p.EndsWith("/libLibTorchSharp.so", StringComparison.Ordinal));
        if (mapped is not null) return mapped;
        return TorchRuntime.NativeDirectoryCandidates()
            .Prepend(Path.Combine(AppContext.BaseDirectory, $"runtimes/{System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier}/native"))
            .Select(d => Path.Combine(d, "libLibTorchSharp.so")).FirstOrDefault(File.Exists);
    }

    static Check LibStdCxx() => Safe("libstdc++ fix", () =>
    {
        if (!OperatingSystem.IsLinux()) return new Check("libstdc++ fix", CheckStatus.Ok, "not Linux: not needed");
        if (HostHasGlibcxx3432() == true) return new Check("libstdc++ fix", CheckStatus.Ok, "host libstdc++ has GLIBCXX_3.4.32: not needed");
        var lib = LibTorchSharpPath();
        if (lib is null) return new Check("libstdc++ fix", CheckStatus.Fail, "libLibTorchSharp.so not found next to this program", Setup);
        var patched = ContainsAscii(lib, ShimName) && File.Exists(Path.Combine(Path.GetDirectoryName(lib)!, ShimName));
        return patched
            ? new Check("libstdc++ fix", CheckStatus.Ok, $"host lacks GLIBCXX_3.4.32; {Path.GetFileName(lib)} patched with {ShimName}")
            : new Check("libstdc++ fix", CheckStatus.Fail,
                $"host libstdc++ lacks GLIBCXX_3.4.32 and {lib} is not patched: TorchSharp cannot load",
                Setup + "  (or: bash environment/fix-torchsharp-native.sh, then rebuild)");
    });

    static bool Torch(List<Check> checks)
    {
        try
        {
            var info = TorchRuntime.Initialize(DeviceChoice.Cpu);
            using var scope = NewDisposeScope();
            var x = randn(2, 3, 8, 8, requires_grad: true);
            using var conv = nn.Conv2d(3, 4, 3, padding: 1);
            conv.forward(x).square().sum().backward();
            var g = x.grad ?? throw new InvalidOperationException("no gradient after backward");
            if (!g.isfinite().all().item<bool>()) throw new InvalidOperationException("conv backward produced non-finite gradients");
            checks.Add(new Check("torch", CheckStatus.Ok, $"TorchSharp {info.TorchSharpVersion}, libtorch {info.LibTorchVersion}: conv forward+backward ok"));
            return true;
        }
        catch (Exception e)
        {
            var inner = e;
            while (inner.InnerException is not null) inner = inner.InnerException;
            checks.Add(new Check("torch", CheckStatus.Fail, $"TorchSharp does not load: {inner.Message}", Setup + " (applies the libstdc++ fix, restores natives), then rebuild"));
            return false;
        }
    }

    static Check Natives() => Safe("natives", () =>
    {
        var cpu = MappedLibraries().Where(p => p.EndsWith("/libtorch_cpu.so", StringComparison.Ordinal)).Distinct().ToList();
        if (cpu.Count == 0) return new Check("natives", CheckStatus.Warn, "could not see which libtorch_cpu.so is loaded (/proc/self/maps)");
        var system = cpu.Where(p => p.StartsWith("/usr/lib", StringComparison.Ordinal)).ToList();
        if (system.Count > 0 || cpu.Count > 1)
            return new Check("natives", CheckStatus.Fail, $"a system libtorch is loaded: {string.Join(", ", cpu)}",
                "run through environment/resnet (or the notebooks' setup cell), which load the NuGet natives first; or remove python3-torch");
        return new Check("natives", CheckStatus.Ok, $"libtorch from {Path.GetDirectoryName(cpu[0])}");
    });

    static Check KernelTools() => Safe("kernel tools", () =>
    {
        var root = RepoPaths.TryRoot();
        if (root is null) return new Check("kernel tools", CheckStatus.Warn, "not inside the checkout: cannot look for .tools/");
        var tools = Path.Combine(root, ".tools");
        var missing = new[] { "dotnet-repl", "dotnet-interactive" }.Where(t => !File.Exists(Path.Combine(tools, t))).ToList();
        if (missing.Count > 0)
            return new Check("kernel tools", CheckStatus.Fail, $"missing in .tools/: {string.Join(", ", missing)}", Setup);
        var cores = Directory.EnumerateFiles(Path.Combine(tools, ".store"), "FSharp.Core.dll", SearchOption.AllDirectories)
            .Where(p => p.Contains("/tools/", StringComparison.Ordinal)).ToList();
        var old = cores.Where(p => AssemblyName.GetAssemblyName(p).Version < new Version(10, 1)).ToList();
        return old.Count == 0
            ? new Check("kernel tools", CheckStatus.Ok, $"dotnet-repl and dotnet-interactive in .tools/, FSharp.Core >= 10.1 ({cores.Count} copies)")
            : new Check("kernel tools", CheckStatus.Fail, $"{old.Count} kernel FSharp.Core older than 10.1: Plotly.NET 6 charts would fail", Setup);
    });

    /// <summary>
    /// The plotly.js that Plotly.NET 6 emits charts for, embedded in Plotly.NET.dll: offline reports inline this copy.
    /// </summary>
    public static (string Name, string Script)? PlotlyJs()
    {
        var asm = typeof(Plotly.NET.GenericChart).Assembly;
        var name = asm.GetManifestResourceNames().FirstOrDefault(n => n.StartsWith("Plotly.NET.plotly-", StringComparison.Ordinal) && n.EndsWith(".min.js", StringComparison.Ordinal));
        if (name is null) return null;
        using var reader = new StreamReader(asm.GetManifestResourceStream(name)!);
        return (name["Plotly.NET.".Length..], reader.ReadToEnd());
    }

    static Check PlotlyOffline() => Safe("plotly offline", () =>
    {
        var js = PlotlyJs();
        if (js is null) return new Check("plotly offline", CheckStatus.Fail, "plotly.min.js not embedded in this Plotly.NET", Setup);
        var html = Plotly.NET.GenericChart.toChartHTML(Plotly.NET.CSharp.Chart.Line<int, int, string>(x: [0, 1], y: [1, 0]));
        return html.Contains("Plotly.newPlot", StringComparison.Ordinal)
            ? new Check("plotly offline", CheckStatus.Ok, $"charts render; {js.Value.Name} ({js.Value.Script.Length / 1024:N0} KiB) embedded for offline reports")
            : new Check("plotly offline", CheckStatus.Fail, "Plotly.NET produced no plot script", Setup);
    });

    static Check ReportTools() => Safe("report tools", () =>
    {
        var missing = new[] { ("jupyter-nbconvert", "jupyter-nbconvert"), ("chromium", "chromium") }
            .Where(t => FindOnPath(t.Item1) is null).Select(t => t.Item2).ToList();
        return missing.Count == 0
            ? new Check("report tools", CheckStatus.Ok, "jupyter-nbconvert and chromium present (HTML reports, browser check)")
            : new Check("report tools", CheckStatus.Warn, $"missing: {string.Join(", ", missing)} (needed only for `resnet reports`)",
                $"{Setup} (installs them with apt on Debian/Ubuntu)");
    });

    static Check DataCheck(string? flag) => Safe("data", () =>
    {
        var dir = DataLocation.ResolveCifar10(flag, out var source);
        var problems = Cifar10Files.Verify(dir);
        return problems.Count == 0
            ? new Check("data", CheckStatus.Ok, $"CIFAR-10 at {dir} (from {source}): 6 batch files, sizes verified")
            : new Check("data", CheckStatus.Fail, $"CIFAR-10 at {dir} (from {source}): {problems[0]}{(problems.Count > 1 ? $" (+{problems.Count - 1} more)" : "")}",
                "resnet data download (official archive, needs internet), or RESNET_DATA pointing at an existing cifar-10-batches-bin; offline here: ../shared/data/cifar10/build.sh data");
    });

    /// <summary>Native libraries mapped into this process (/proc/self/maps), to show which libtorch actually loaded.</summary>
    public static IEnumerable<string> MappedLibraries()
    {
        if (!File.Exists("/proc/self/maps")) return [];
        return File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(p => p.Length >= 6 && p[5].StartsWith('/')).Select(p => p[5]).Distinct().ToList();
    }

    static bool ContainsAscii(string path, string needle)
    {
        var bytes = File.ReadAllBytes(path);
        return bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(needle)) >= 0;
    }

    static string? FindOnPath(string exe) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, exe)).FirstOrDefault(File.Exists);

    static string? RunProcess(string file, string args)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 ? output.Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }
}
