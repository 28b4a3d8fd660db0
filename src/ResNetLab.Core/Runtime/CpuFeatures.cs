using System.Runtime.Intrinsics.X86;

namespace ResNetLab.Runtime;

/// <summary>What this CPU can do natively, for choices such as bfloat16 training (`--precision auto`).</summary>
public static class CpuFeatures
{
    /// <summary>
    /// AVX-512 BF16 (CPUID leaf 7, sub-leaf 1, EAX bit 5): bfloat16 dot products in hardware, which oneDNN's bf16
    /// convolutions use; without it bf16 is emulated and slower than float32. False on non-x86 CPUs (Apple silicon
    /// has BF16 too, but libtorch's CPU kernels there are not measured here).
    /// </summary>
    public static bool HasNativeBf16 { get; } = X86Base.IsSupported && Avx512F.IsSupported && (X86Base.CpuId(7, 1).Eax & (1 << 5)) != 0;

    /// <summary>One line for doctor and bench: the instruction sets that matter for training speed.</summary>
    public static string Describe() =>
        !X86Base.IsSupported ? $"{System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture} (no x86 feature probe)"
        : $"AVX2 {(Avx2.IsSupported ? "yes" : "no")}, AVX-512 {(Avx512F.IsSupported ? "yes" : "no")}, AVX-512 BF16 {(HasNativeBf16 ? "yes" : "no")}";
}
