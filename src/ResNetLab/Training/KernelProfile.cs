using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ResNetLab.Models;
using ResNetLab.Runtime;
using static TorchSharp.torch;

namespace ResNetLab.Training;

/// <summary>One group of oneDNN kernels in a training step: a primitive and pass, e.g. convolution backward_weights.</summary>
/// <param name="Primitive">oneDNN primitive kind: convolution, reorder, matmul, …</param>
/// <param name="Pass">forward_training, backward_data, backward_weights, or "-" (reorders, matmuls).</param>
/// <param name="Implementations">The implementations oneDNN picked (e.g. brg_conv_fwd:avx512_core_bf16), comma-separated.</param>
/// <param name="CallsPerStep">Executions per training step.</param>
/// <param name="MsPerStep">Milliseconds per training step in these kernels.</param>
public sealed record KernelRow(string Primitive, string Pass, string Implementations, double CallsPerStep, double MsPerStep);

/// <summary>Where one engine's training step goes: the oneDNN kernels by primitive and pass, and the rest.</summary>
/// <param name="Engine">"TorchSharp" or "PyTorch x.y".</param>
/// <param name="Precision">fp32 or bf16.</param>
/// <param name="OneDnn">oneDNN version the engine runs.</param>
/// <param name="StepMs">Median training step of the profiled process (verbose output on: a little slower than bench).</param>
/// <param name="Kernels">Kernel groups, most expensive first.</param>
public sealed record EngineProfile(string Engine, string Precision, string OneDnn, double StepMs, IReadOnlyList<KernelRow> Kernels)
{
    /// <summary>Milliseconds per step in oneDNN kernels.</summary>
    public double KernelMs => Kernels.Sum(k => k.MsPerStep);

    /// <summary>Milliseconds per step outside oneDNN: batch norm, ReLU, additions, casts, loss, SGD, framework overhead.</summary>
    public double OtherMs => Math.Max(0, StepMs - KernelMs);
}

/// <summary>
/// The per-kernel profile behind `resnet bench --profile`: both engines train ResNet-20 in child processes with
/// oneDNN's verbose mode on (ONEDNN_VERBOSE=1 prints every executed kernel with its time; libtorch has no autograd
/// profiler in TorchSharp, and oneDNN is where both engines' convolutions run on a CPU). Each child brackets its timed
/// steps with marker lines, so warm-up, kernel creation and evaluation are left out. With it, the matrix-multiply peak
/// of this CPU measured in-process, to say how far the convolutions are from what the hardware does.
/// </summary>
public static class KernelProfile
{
    /// <summary>Printed on stdout before the timed steps when profiling (see <see cref="Profiling"/>).</summary>
    public const string StartMarker = "resnet-bench,profile,start";
    /// <summary>Printed on stdout after the timed steps when profiling.</summary>
    public const string EndMarker = "resnet-bench,profile,end";

    /// <summary>Whether this process runs under oneDNN's verbose mode (then <see cref="Bench.Run"/> prints the markers).</summary>
    public static bool Profiling => Environment.GetEnvironmentVariable("ONEDNN_VERBOSE") is { Length: > 0 } v && v != "0";

    /// <summary>
    /// Aggregate oneDNN verbose lines between the markers into kernel groups per step. Reads both formats:
    /// oneDNN 3.x ("onednn_verbose,v1,primitive,exec,cpu,kind,impl,pass,…,ms") and 2.x ("onednn_verbose,exec,cpu,…").
    /// </summary>
    public static IReadOnlyList<KernelRow> Aggregate(IEnumerable<string> lines, int steps, out string oneDnnVersion)
    {
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "at least one profiled step");
        oneDnnVersion = "?";
        var inside = false;
        var groups = new Dictionary<(string, string), (SortedSet<string> Impl, int Calls, double Ms)>();
        foreach (var line in lines)
        {
            var trimmed = line.Trim();
            if (trimmed == StartMarker) { inside = true; continue; }
            if (trimmed == EndMarker) { inside = false; continue; }
            if (!trimmed.StartsWith("onednn_verbose,", StringComparison.Ordinal) && !trimmed.StartsWith("dnnl_verbose,", StringComparison.Ordinal)) continue;
            var f = trimmed.Split(',');
            var at = 1;
            if (f.Length > at && f[at] == "v1") at++;
            if (f.Length > at && f[at] == "info" && f.Length > at + 1 && f[at + 1].StartsWith("oneDNN v", StringComparison.Ordinal))
                oneDnnVersion = f[at + 1].Split(' ')[1];
            if (!inside) continue;
            if (f.Length > at && f[at] == "primitive") at++;
            if (f.Length < at + 6 || f[at] != "exec") continue;
            if (!double.TryParse(f[^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var ms)) continue;
            var (kind, impl, pass) = (f[at + 2], f[at + 3], f[at + 4] is "undef" or "" ? "-" : f[at + 4]);
            var key = (kind, pass);
            var g = groups.TryGetValue(key, out var existing) ? existing : (Impl: new SortedSet<string>(StringComparer.Ordinal), Calls: 0, Ms: 0.0);
            g.Impl.Add(impl);
            groups[key] = (g.Impl, g.Calls + 1, g.Ms + ms);
        }
        return groups.Select(kv => new KernelRow(kv.Key.Item1, kv.Key.Item2, string.Join(", ", kv.Value.Impl),
                                                 (double)kv.Value.Calls / steps, kv.Value.Ms / steps))
            .OrderByDescending(r => r.MsPerStep).ToList();
    }

    /// <summary>
    /// Profile this engine's ResNet-20 training step in a child process (<paramref name="ours"/>: the CLI's own
    /// `bench --model resnet20 --precision … --iters <paramref name="iterations"/> --json`, which prints the markers under
    /// ONEDNN_VERBOSE), and PyTorch's fastest configuration for it (channels-last; bf16 autocast when
    /// <paramref name="precision"/> is bf16) through the reference script.
    /// </summary>
    public static IReadOnlyList<EngineProfile> Run(ProcessStartInfo ours, Precision precision, int threads = 2,
                                                   int batch = 128, int iterations = 10, string python = "/usr/bin/python3",
                                                   IProgress<string>? progress = null)
    {
        var p = precision.Name();
        progress?.Report($"TorchSharp {p} under ONEDNN_VERBOSE");
        var ourLines = Child(ours);
        using var ourJson = JsonDocument.Parse(LastJsonLine(ourLines, "resnet bench"));
        var ourStep = ourJson.RootElement.GetProperty("train_step_ms").GetDouble();
        var ourKernels = Aggregate(ourLines, iterations, out var ourOneDnn);
        var result = new List<EngineProfile> { new("TorchSharp", p, ourOneDnn, ourStep, ourKernels) };

        var script = Bench.PyTorchScript(python);
        progress?.Report($"PyTorch nhwc {p} under ONEDNN_VERBOSE");
        var info = new ProcessStartInfo(python);
        foreach (var a in new[] { script, "--threads", $"{threads}", "--batch", $"{batch}", "--iters", $"{iterations}", "--json", "--channels-last", "--profile-markers" }) info.ArgumentList.Add(a);
        if (precision == Precision.Bf16) info.ArgumentList.Add("--bf16");
        var theirs = Child(info);
        using var theirJson = JsonDocument.Parse(LastJsonLine(theirs, script));
        var theirKernels = Aggregate(theirs, iterations, out var theirOneDnn);
        result.Add(new EngineProfile($"PyTorch {theirJson.RootElement.GetProperty("torch").GetString()}", p, theirOneDnn,
            theirJson.RootElement.GetProperty("median_step_ms").GetDouble(), theirKernels));
        return result;
    }

    /// <summary>The JSON result a child prints last (one line from Python, indented from ours), verbose lines skipped.</summary>
    static string LastJsonLine(IReadOnlyList<string> lines, string what)
    {
        var start = lines.Select((l, i) => (l, i)).LastOrDefault(x => x.l.TrimStart().StartsWith('{')).i;
        if (start == 0 && !(lines.Count > 0 && lines[0].TrimStart().StartsWith('{')))
            throw new InvalidOperationException($"{what} printed no JSON result under ONEDNN_VERBOSE");
        return string.Join('\n', lines.Skip(start).Where(l => !l.StartsWith("onednn_verbose,", StringComparison.Ordinal) && !l.StartsWith("dnnl_verbose,", StringComparison.Ordinal)));
    }

    static List<string> Child(ProcessStartInfo info)
    {
        (info.RedirectStandardOutput, info.RedirectStandardError) = (true, true);
        info.Environment["ONEDNN_VERBOSE"] = "1";
        var (file, args) = (info.FileName, info.ArgumentList);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var errors = process.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        while (process.StandardOutput.ReadLine() is { } line) lines.Add(line);
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            var error = errors.Result;
            if (Bench.NoTorch(file, error) is { } missing) throw missing;
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed (exit {process.ExitCode}): {error.Trim()}");
        }
        return lines;
    }

    /// <summary>
    /// The multiply-add throughput of one large matrix product in <paramref name="precision"/> on this CPU (GFLOP/s,
    /// 2 per multiply-add; median of <paramref name="repeats"/>): what oneDNN's GEMM reaches here, the practical peak a
    /// convolution could approach.
    /// </summary>
    public static double MatmulGflops(Precision precision, int size = 2048, int repeats = 5)
    {
        var dtype = precision == Precision.Bf16 ? ScalarType.BFloat16 : ScalarType.Float32;
        using var a = randn(size, size).to(dtype);
        using var b = randn(size, size).to(dtype);
        using (a.matmul(b)) { }
        var times = new double[repeats];
        for (var i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            using (a.matmul(b)) { }
            times[i] = sw.Elapsed.TotalSeconds;
        }
        Array.Sort(times);
        return 2.0 * size * size * size / times[repeats / 2] / 1e9;
    }

    /// <summary>
    /// Floating-point operations of one training step of <paramref name="model"/>: 3× the forward multiply-adds (the
    /// backward pass computes gradients for both inputs and weights), 2 operations each, times the batch.
    /// </summary>
    public static double TrainStepGflop(string model, int batch)
    {
        using var net = ModelZoo.Create(model);
        var report = Complexity.Measure(net, ModelZoo.Spec(model).InputSize);
        return 3.0 * 2 * report.MultiplyAdds * batch / 1e9;
    }
}
