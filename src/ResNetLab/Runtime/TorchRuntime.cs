using System.Reflection;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNetLab.Runtime;

/// <summary>Which device to run on. <see cref="Auto"/> picks CUDA when visible, else CPU.</summary>
public enum DeviceChoice
{
    /// <summary>CUDA when libtorch sees a device, else CPU.</summary>
    Auto,

    /// <summary>The CPU, even where CUDA is available.</summary>
    Cpu,

    /// <summary>CUDA; an error when no device is visible.</summary>
    Cuda,
}

/// <summary>Versions and settings of the running torch, for run records, notebook banners and <c>doctor</c>.</summary>
public sealed record RuntimeInfo(
    string TorchSharpVersion,
    string LibTorchVersion,
    string DotNetVersion,
    string Device,
    bool CudaAvailable,
    int Threads,
    string? NativeDirectory,
    string? NativeHeap = null)
{
    /// <inheritdoc/>
    public override string ToString() =>
        $"TorchSharp {TorchSharpVersion}, libtorch {LibTorchVersion}, .NET {DotNetVersion}, device {Device}, {Threads} threads";
}

/// <summary>
/// The one place that brings torch up: loads the right natives, picks the device, sets threads and seeds.
/// Call <see cref="Initialize"/> before building any module (ENVIRONMENT Trap 4: in the notebook kernel LibTorchSharp
/// loads only in torch's static constructor, so a Module built first throws DllNotFoundException).
/// </summary>
public static class TorchRuntime
{
    static readonly Lock Gate = new();
    static bool initialised;

    /// <summary>Directory the libtorch natives were preloaded from, or null when left to the default loader.</summary>
    public static string? NativeDirectory { get; private set; }

    static Device? device;

    /// <summary>
    /// What the first CPU initialisation saw: other trainings on this machine and the threads taken beside them (a fair
    /// share when no thread count was given). Null before it, and on CUDA.
    /// </summary>
    public static CoreShareDecision? Sharing { get; private set; }

    /// <summary>The device chosen by the last <see cref="Initialize"/> call (initialises on CPU if not yet done).</summary>
    // No static initialiser touches torch: that would load the natives before PreloadNatives runs.
    public static Device Device
    {
        get
        {
            if (device is null) Initialize();
            return device!;
        }
    }

    /// <summary>
    /// Initialise torch once per process; later calls only change device, threads and seed.
    /// An explicit <paramref name="device"/> wins over detection; asking for CUDA where none is visible is an error.
    /// </summary>
    public static RuntimeInfo Initialize(DeviceChoice device = DeviceChoice.Auto, int? threads = null, long? seed = null)
    {
        lock (Gate)
        {
            var first = !initialised;
            if (first)
            {
                CoreShare.PreparePassiveWaiting();   // before libgomp loads with libtorch_cpu
                NativeHeap.KeepFreedMemory();        // before the first tensor: freed activations stay in the process
                NativeDirectory = PreloadNatives();
                InitializeDeviceType(DeviceType.CPU);
                initialised = true;
            }
            TorchRuntime.device = new Device(ResolveDevice(device, cuda.is_available()));
            if (TorchRuntime.device.type == DeviceType.CUDA) InitializeDeviceType(DeviceType.CUDA);
            else if (first)
            {
                // The default thread count is a fair share beside the trainings already running here (CoreShare).
                var share = CoreShare.Decide();
                Sharing = share with { Threads = threads ?? Math.Min(share.Threads, get_num_threads()) };
                if (threads is null && Sharing.Threads != get_num_threads()) set_num_threads(Sharing.Threads);
            }
            if (threads is { } n)
            {
                if (n < 1) throw new ArgumentOutOfRangeException(nameof(threads), n, "threads must be at least 1");
                set_num_threads(n);
            }
            if (seed is { } s) Seed(s);
            return Info();
        }
    }

    /// <summary>Seed every torch generator (CPU and, when present, CUDA).</summary>
    public static void Seed(long seed)
    {
        random.manual_seed(seed);
        if (cuda.is_available()) cuda.manual_seed_all(seed);
    }

    /// <summary>The device for a choice given whether CUDA is visible. Pure, so it is testable without a GPU.</summary>
    public static DeviceType ResolveDevice(DeviceChoice choice, bool cudaAvailable) => choice switch
    {
        DeviceChoice.Cpu => DeviceType.CPU,
        DeviceChoice.Cuda when cudaAvailable => DeviceType.CUDA,
        DeviceChoice.Cuda => throw new InvalidOperationException(
            "device cuda was requested but no CUDA device is visible to libtorch. This build uses the CPU natives " +
            "unless built with -p:TorchBackend=cuda on a host with an NVIDIA driver (see docs/cluster.md, 'GPU')."),
        _ => cudaAvailable ? DeviceType.CUDA : DeviceType.CPU,
    };

    /// <summary>Parse a device name (cpu, cuda, auto).</summary>
    public static DeviceChoice ParseDevice(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => DeviceChoice.Auto,
        "cpu" => DeviceChoice.Cpu,
        "cuda" or "gpu" => DeviceChoice.Cuda,
        _ => throw new ArgumentException($"device '{text}' is not one of: auto, cpu, cuda"),
    };

    /// <summary>Versions, device and threads of this process, recorded in every run record.</summary>
    public static RuntimeInfo Info()
    {
        var asm = typeof(torch).Assembly;
        var tsVersion = asm.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0]
                        ?? asm.GetName().Version?.ToString() ?? "?";
        return new RuntimeInfo(tsVersion, __version__, Environment.Version.ToString(),
            (device ?? CPU).ToString(), cuda.is_available(), get_num_threads(), NativeDirectory, NativeHeap.Setting.Note);
    }

    /// <summary>
    /// ENVIRONMENT Trap 2: with a system libtorch installed (Debian's python3-torch puts 1.13 in /usr/lib), a plain
    /// dlopen("libtorch_cpu.so") can pick the wrong one. Loading c10/torch_cpu/torch by full path from the folder that
    /// holds this build's natives first makes every later by-name lookup resolve to them.
    /// </summary>
    static string? PreloadNatives()
    {
        if (!OperatingSystem.IsLinux()) return null;
        var dir = FindNativeDirectory();
        if (dir is null) return null;
        foreach (var name in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" })
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path)) NativeLibrary.Load(path);
        }
        return dir;
    }

    /// <summary>Candidate folders for the libtorch natives, most specific first.</summary>
    public static IEnumerable<string> NativeDirectoryCandidates()
    {
        var torchSharpDir = Path.GetDirectoryName(typeof(torch).Assembly.Location) ?? "";
        var rid = $"runtimes/{RuntimeInformation.RuntimeIdentifier}/native";   // portable RID, e.g. linux-x64
        yield return torchSharpDir;                                  // RID publish folder (kernel/lib): flat
        yield return Path.Combine(AppContext.BaseDirectory, rid);    // bin/ of an app or test project
        yield return Path.Combine(torchSharpDir, rid);
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                       ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        yield return Path.Combine(packages, $"libtorch-cpu-{RuntimeInformation.RuntimeIdentifier}", "2.10.0", rid);  // kernel with #r "nuget: TorchSharp"
    }

    static string? FindNativeDirectory() =>
        NativeDirectoryCandidates().FirstOrDefault(d => File.Exists(Path.Combine(d, "libtorch_cpu.so")));
}
