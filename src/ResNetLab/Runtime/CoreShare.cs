using System.Globalization;
using System.Runtime.InteropServices;

namespace ResNetLab.Runtime;

/// <summary>Another process on this machine running libtorch, and how many cores it kept busy while sampled.</summary>
public sealed record Neighbour(int Pid, string Command, double BusyCores);

/// <summary>How many torch threads this process takes, and why: the cores, the trainings already running beside it.</summary>
/// <param name="Cores">Logical cores of the machine (or of this process's affinity).</param>
/// <param name="Neighbours">Other libtorch processes keeping at least a quarter of a core busy.</param>
/// <param name="Threads">Torch threads chosen: a fair share, cores ÷ (1 + neighbours), at least 1.</param>
public sealed record CoreShareDecision(int Cores, IReadOnlyList<Neighbour> Neighbours, int Threads)
{
    /// <summary>One line for `train`, `doctor` and the notebook banner; null when nothing else is training here.</summary>
    public string? Note => Neighbours.Count == 0 ? null :
        $"{(Neighbours.Count == 1 ? "another training holds" : $"{Neighbours.Count} other trainings hold")} the cores " +
        $"({string.Join("; ", Neighbours.Select(n => $"pid {n.Pid}, {n.BusyCores:0.0} cores busy: {n.Command}"))}): " +
        $"{Threads} torch thread{(Threads == 1 ? "" : "s")} of {Cores} for this one (an explicit thread count overrides)";
}

/// <summary>
/// Trainings that share a machine without collapsing each other (issue 25: ResNet-56 fell from ~300 to 12 img/s beside
/// a second libtorch process). Two causes, two fixes, both applied by <see cref="TorchRuntime.Initialize"/> before
/// libtorch starts, for the CLI, notebook kernels and sweep tasks alike:
/// <list type="bullet">
/// <item>libtorch's OpenMP (libgomp) threads spin for a while after each parallel region by default; beside another
/// busy process those spinning threads steal the cores its threads need. OMP_WAIT_POLICY=PASSIVE makes them sleep at
/// once. libgomp reads it when it loads, so it must be in the native environment before the first torch call
/// (.NET's Environment.SetEnvironmentVariable alone does not reach it: ENVIRONMENT Trap 5).</item>
/// <item>Every process taking all cores oversubscribes them; the default thread count here is a fair share, counting
/// the other processes on this machine that have libtorch loaded and keep a core busy.</item>
/// </list>
/// </summary>
public static class CoreShare
{
    /// <summary>The OpenMP variable and value set before libtorch loads (a value the user exported is kept).</summary>
    public const string WaitPolicyVariable = "OMP_WAIT_POLICY", WaitPolicy = "PASSIVE";

    /// <summary>Put OMP_WAIT_POLICY=PASSIVE into the native and the managed environment unless it is set already.</summary>
    public static void PreparePassiveWaiting()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(WaitPolicyVariable))) return;
        if (!OperatingSystem.IsWindows()) _ = SetEnv(WaitPolicyVariable, WaitPolicy, overwrite: 0);
        Environment.SetEnvironmentVariable(WaitPolicyVariable, WaitPolicy);   // children started by this process
    }

    /// <summary>The wait policy libgomp saw in this process's native environment (what a test can check).</summary>
    public static string? NativeWaitPolicy() => OperatingSystem.IsWindows() ? null : Marshal.PtrToStringUTF8(GetEnv(WaitPolicyVariable));

    /// <summary>Cores a process must keep busy to count as a training: an idle kernel uses ~0, a training on a machine
    /// loaded several times over still gets a few tenths.</summary>
    public const double BusyThreshold = 0.25;

    /// <summary>The fair share of <paramref name="cores"/> beside <paramref name="neighbours"/> busy trainings: at least 1.</summary>
    public static int FairShare(int cores, int neighbours) => Math.Max(1, cores / (1 + Math.Max(0, neighbours)));

    /// <summary>Look at the machine now (a short CPU sample of the other libtorch processes) and decide the threads.</summary>
    public static CoreShareDecision Decide(TimeSpan? sample = null)
    {
        var cores = Environment.ProcessorCount;
        var neighbours = OtherTrainings(sample);
        return new CoreShareDecision(cores, neighbours, FairShare(cores, neighbours.Count));
    }

    /// <summary>
    /// Other processes on this machine that have libtorch_cpu mapped (a training, a notebook kernel, PyTorch) and kept
    /// at least <see cref="BusyThreshold"/> of a core busy over <paramref name="sample"/> (default 300 ms): idle kernels and stopped processes
    /// do not count. Empty where /proc is absent.
    /// </summary>
    public static IReadOnlyList<Neighbour> OtherTrainings(TimeSpan? sample = null)
    {
        if (!Directory.Exists("/proc")) return [];
        var self = Environment.ProcessId;
        var candidates = new List<(int Pid, long Ticks)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == self) continue;
            if (LoadsLibTorch(pid) && CpuTicks(pid) is { } t) candidates.Add((pid, t));
        }
        if (candidates.Count == 0) return [];
        var window = sample ?? TimeSpan.FromMilliseconds(300);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Thread.Sleep(window);
        var seconds = watch.Elapsed.TotalSeconds;
        var ticksPerSecond = OperatingSystem.IsWindows() ? 100 : Math.Max(1, SysConf(ScClkTck));
        return candidates
            .Select(c => (c.Pid, Busy: CpuTicks(c.Pid) is { } now ? (now - c.Ticks) / (double)ticksPerSecond / seconds : 0))
            .Where(c => c.Busy >= BusyThreshold)
            .Select(c => new Neighbour(c.Pid, Command(c.Pid), Math.Round(c.Busy, 1)))
            .ToList();
    }

    static bool LoadsLibTorch(int pid)
    {
        try { return File.ReadLines($"/proc/{pid}/maps").Any(l => l.EndsWith("/libtorch_cpu.so", StringComparison.Ordinal)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>utime + stime of a process in clock ticks (/proc/&lt;pid&gt;/stat fields 14 and 15); null when it is gone.</summary>
    static long? CpuTicks(int pid)
    {
        var fields = LocalProcess.StatFields(pid);   // fields[0] is field 3 (state)
        return fields is { Length: > 12 } && long.TryParse(fields[11], CultureInfo.InvariantCulture, out var u) && long.TryParse(fields[12], CultureInfo.InvariantCulture, out var s)
            ? u + s : null;
    }

    static string Command(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
            return text.Length > 100 ? text[..100] + "…" : text;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return "?"; }
    }

    const int ScClkTck = 2;

    [DllImport("libc", EntryPoint = "setenv")]
    static extern int SetEnv(string name, string value, int overwrite);

    [DllImport("libc", EntryPoint = "getenv")]
    static extern IntPtr GetEnv(string name);

    [DllImport("libc", EntryPoint = "sysconf")]
    static extern long SysConf(int name);
}
