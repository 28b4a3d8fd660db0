namespace ResNetLab.Models;

/// <summary>How a residual block's shortcut handles a change of dimensions (paper §3.3, Table 3).</summary>
public enum ShortcutOption
{
    /// <summary>Identity; when dimensions grow, stride-2 subsampling and zero-padded extra channels (parameter-free).</summary>
    A,

    /// <summary>Identity where dimensions match; a 1×1 projection (+BN) only where they grow.</summary>
    B,

    /// <summary>A 1×1 projection (+BN) on every shortcut.</summary>
    C,
}

/// <summary>Arithmetic of training and evaluation: float32 throughout, or bfloat16 mixed precision (see <see cref="ResNetModel.Precision"/>).</summary>
public enum Precision
{
    /// <summary>float32 everywhere (the paper's, and the default).</summary>
    Fp32,

    /// <summary>bfloat16 activations, convolutions and classifier; float32 master weights, BN statistics, loss and optimizer.</summary>
    Bf16,
}

/// <summary>Precision choices as users name them: fp32, bf16, or auto (bf16 only where the CPU has native BF16).</summary>
public static class Precisions
{
    /// <summary>Parse fp32 | bf16 | auto (null or empty: fp32, the default proven equivalent to the paper's arithmetic).</summary>
    public static Precision Parse(string? text, bool nativeBf16) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" or "fp32" or "float32" => Precision.Fp32,
        "bf16" or "bfloat16" => Precision.Bf16,
        "auto" => nativeBf16 ? Precision.Bf16 : Precision.Fp32,
        _ => throw new ArgumentException($"precision '{text}' is not one of: fp32, bf16, auto (bf16 where the CPU has native BF16)"),
    };

    /// <summary>fp32 or bf16: the word <see cref="Parse(string?)"/> reads and run names, tables and labels show.</summary>
    public static string Name(this Precision precision) => precision.ToString().ToLowerInvariant();

    /// <summary>As <see cref="Parse(string?, bool)"/>, with this machine's CPU deciding auto.</summary>
    public static Precision Parse(string? text) => Parse(text, Runtime.CpuFeatures.HasNativeBf16);
}

/// <summary>The two block shapes of the paper (Fig. 5): two 3×3 layers, or 1×1 reduce, 3×3, 1×1 expand.</summary>
public enum BlockKind
{
    /// <summary>Two 3×3 layers (Fig. 5 left); CIFAR nets and ResNet-18/34.</summary>
    Basic,

    /// <summary>1×1 reduce, 3×3, 1×1 expand ×4 (Fig. 5 right); ResNet-50/101/152, ResNet-164.</summary>
    Bottleneck,
}

/// <summary>CIFAR networks (§4.2, 32×32 input) or ImageNet networks (Table 1, 224×224 input).</summary>
public enum ModelFamily
{
    /// <summary>CIFAR-10/100 nets of §4.2: 3×3 stem, three stages of 16/32/64 filters.</summary>
    Cifar,

    /// <summary>ImageNet nets of Table 1: 7×7 stem and max-pool, four stages of 64–512.</summary>
    ImageNet,
}

/// <summary>One registered architecture with its measured size (see <see cref="ModelZoo.List"/>).</summary>
public sealed record ModelInfo(
    string Name,
    ModelFamily Family,
    int Depth,
    BlockKind Block,
    ShortcutOption? Shortcut,
    bool IsResidual,
    int NumClasses,
    int InputSize,
    long Parameters,
    long MultiplyAdds);

/// <summary>Construction options shared by every architecture; the same names mean the same thing everywhere.</summary>
/// <param name="Shortcut">Shortcut option; null takes the family default (A for CIFAR §4.2, B for ImageNet §3.3).
/// Must be null for plain networks, which have no shortcuts.</param>
/// <param name="NumClasses">Classifier outputs; null takes the family default (10 for CIFAR, 1000 for ImageNet).</param>
/// <param name="ZeroInitResidual">Not in the paper: start the last BN γ of each residual branch at 0 so every block
/// begins as the identity (Goyal et al. 2017; torchvision's zero_init_residual).</param>
/// <param name="StrideOn3x3">ImageNet bottlenecks only: put the stride-2 on the 3×3 conv (torchvision "ResNet v1.5")
/// instead of the first 1×1 as the paper does.</param>
public sealed record ModelOptions(
    ShortcutOption? Shortcut = null,
    int? NumClasses = null,
    bool ZeroInitResidual = false,
    bool StrideOn3x3 = false);
