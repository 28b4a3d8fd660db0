using System.Runtime.InteropServices;

namespace ResNetLab.Runtime;

/// <summary>What <see cref="NativeHeap.KeepFreedMemory"/> did in this process, for `doctor`, run records and benches.</summary>
/// <param name="Applied">The thresholds below are in force.</param>
/// <param name="Note">One line: what was set, or why nothing was (not glibc, the user's own GLIBC_TUNABLES).</param>
public sealed record NativeHeapSetting(bool Applied, string Note);

/// <summary>
/// libtorch's CPU tensors come from the C library's malloc. glibc's defaults hand the memory of a freed tensor back to
/// the kernel (munmap above the mmap threshold, trimming the heap top above twice that) and every step of training
/// allocates the same activations again, so each is faulted in and zeroed page by page anew: measured on a 2-core
/// AVX2 EPYC, a ResNet-20 step at batch 128 took ~20,000 minor page faults and a sixth of its CPU time in the kernel.
/// Keeping freed memory in the process — every allocation up to 32 MB (glibc's largest mmap threshold) from the heap,
/// and no trimming below 1 GB of free heap top — cut that to ~100 faults per step and made the step 1.2× faster
/// (docs/performance.md, `resnet bench`), for ~100 MB more peak RSS. The heap is reused step after step rather than
/// returned and taken again; the setting is recorded in every run.json (runtime.native_heap).
/// <para>Applied once per process by <see cref="TorchRuntime.Initialize"/> (CLI, notebook kernels, sweep tasks) on
/// Linux with glibc; nothing elsewhere (macOS and Windows allocators differ; musl has no such thresholds), and nothing
/// when the user's GLIBC_TUNABLES already sets a glibc.malloc tunable (theirs wins) or RESNET_NATIVE_HEAP=default.</para>
/// </summary>
public static class NativeHeap
{
    /// <summary>Allocations up to this many bytes come from the heap (glibc refuses more: HEAP_MAX_SIZE / 2 on 64-bit).</summary>
    public const long MmapThreshold = 32L << 20;

    /// <summary>Free memory at the heap's top is returned to the kernel only above this many bytes.</summary>
    public const long TrimThreshold = 1L << 30;

    /// <summary>Set to <c>default</c> to leave the C library's thresholds alone (less memory held, more page faults).</summary>
    public const string OptOutVariable = "RESNET_NATIVE_HEAP";

    const int MTrimThreshold = -1, MMmapThreshold = -3;   // <malloc.h>

    static NativeHeapSetting? setting;

    /// <summary>What this process runs with (applies the setting first if nobody has).</summary>
    public static NativeHeapSetting Setting => setting ?? KeepFreedMemory();

    /// <summary>Set glibc's mmap and trim thresholds for this process (once; later calls return the first result).</summary>
    public static NativeHeapSetting KeepFreedMemory()
    {
        if (setting is not null) return setting;
        return setting = Decide(OperatingSystem.IsLinux(), Environment.GetEnvironmentVariable("GLIBC_TUNABLES"), Apply,
                                Environment.GetEnvironmentVariable(OptOutVariable));
    }

    /// <summary>
    /// The decision, pure but for <paramref name="apply"/> (which sets both thresholds and says whether the C library
    /// took them): testable without touching this process's heap.
    /// </summary>
    public static NativeHeapSetting Decide(bool linux, string? tunables, Func<bool> apply, string? optOut = null)
    {
        if (optOut is { Length: > 0 } o)
        {
            if (!string.Equals(o.Trim(), "default", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"{OptOutVariable}={o}: expected 'default' (the C library's own thresholds) or nothing (keep freed memory)");
            return new(false, $"default allocator ({OptOutVariable}=default)");
        }
        if (!linux) return new(false, "default allocator (thresholds are set on Linux/glibc only)");
        if (tunables?.Contains("glibc.malloc.", StringComparison.Ordinal) == true)
            return new(false, $"the user's GLIBC_TUNABLES ({tunables}) decides the heap");
        return apply()
            ? new(true, $"glibc keeps freed memory: mmap threshold {MmapThreshold >> 20} MB, trim threshold {TrimThreshold >> 30} GB")
            : new(false, "default allocator (this C library has no glibc mallopt)");
    }

    static bool Apply()
    {
        try
        {
            // mallopt returns 1 on success, 0 when a value is refused
            return MallOpt(MMmapThreshold, (int)MmapThreshold) == 1 && MallOpt(MTrimThreshold, (int)TrimThreshold) == 1;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    static extern int MallOpt(int parameter, int value);
}
