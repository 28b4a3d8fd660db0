using TorchSharp;

namespace ResNetLab.Runtime;

/// <summary>
/// Scalars that live as long as the process. TorchSharp turns a plain number into a <see cref="Scalar"/> freed only by
/// its finalizer, and an overload such as <c>t.add_(other)</c> makes one (alpha = 1) that is unreachable while libtorch
/// still reads it: a GC on another thread then lets the finalizer free it mid-call — "Unknown scalar type" or a segfault
/// in libtorch_cpu under load (issue 25). The training step passes these instead; a static root is never finalised.
/// </summary>
public static class HeldScalars
{
    /// <summary>The integer 1: alpha of every in-place addition, and BN's step counter increment (an integer tensor).</summary>
    public static Scalar One { get; } = 1L.ToScalar();
}
