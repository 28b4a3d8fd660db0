using static TorchSharp.torch;

namespace ResNetLab.Tests;

public static class TensorAssert
{
    /// <summary>Same shape and bit-for-bit equal elements.</summary>
    public static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
}
