using static TorchSharp.torch;

namespace ResNetLab.Data;

/// <summary>How pixels become network inputs.</summary>
public enum NormalizationKind
{
    /// <summary>§4.2: "the per-pixel mean subtracted" — a 3×32×32 mean of the training images, no scaling by std.</summary>
    Paper,

    /// <summary>Per-channel mean/std of the CIFAR-10 training images.</summary>
    Cifar,

    /// <summary>ImageNet's per-channel mean/std, which many published PyTorch CIFAR checkpoints were trained with.</summary>
    ImageNet,
}

/// <summary>
/// A normalisation on [0, 1] pixels: (x/255 − Mean) / Std, with Mean and Std either per channel (3 values) or per pixel
/// (3×32×32 values). Stored with checkpoints so evaluation uses exactly what training used.
/// </summary>
public sealed record Normalization(NormalizationKind Kind, float[] Mean, float[] Std)
{
    // Channel statistics of the official CIFAR-10 training set (the often-quoted std 0.2023/0.1994/0.2010 is of
    // per-image std's averaged, not the pixel std).
    /// <summary>Per-channel mean of the CIFAR-10 training pixels (0–1 scale).</summary>
    public static readonly float[] CifarMean = [0.4914f, 0.4822f, 0.4465f];
    /// <summary>Per-channel pixel std of the CIFAR-10 training set (0–1 scale).</summary>
    public static readonly float[] CifarStd = [0.2470f, 0.2435f, 0.2616f];
    /// <summary>torchvision's ImageNet mean, for weights trained with it.</summary>
    public static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    /// <summary>torchvision's ImageNet std.</summary>
    public static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];

    /// <summary>Mean/std per channel from the CIFAR-10 training set (the common modern choice, not the paper's).</summary>
    public static Normalization Cifar { get; } = new(NormalizationKind.Cifar, CifarMean, CifarStd);
    /// <summary>ImageNet statistics (torchvision's pretrained-weights convention).</summary>
    public static Normalization ImageNet { get; } = new(NormalizationKind.ImageNet, ImageNetMean, ImageNetStd);

    /// <summary>paper, cifar or imagenet (case-insensitive); null or empty is paper.</summary>
    public static NormalizationKind ParseKind(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" or "paper" => NormalizationKind.Paper,
        "cifar" => NormalizationKind.Cifar,
        "imagenet" => NormalizationKind.ImageNet,
        _ => throw new ArgumentException($"normalization '{text}' is not one of: paper (per-pixel mean of the training set), cifar, imagenet"),
    };

    /// <summary>The preset for a kind; <see cref="NormalizationKind.Paper"/> needs the training images.</summary>
    public static Normalization For(NormalizationKind kind, byte[]? trainImages = null) => kind switch
    {
        NormalizationKind.Cifar => Cifar,
        NormalizationKind.ImageNet => ImageNet,
        _ => PerPixelMean(trainImages ?? throw new ArgumentException("the paper's per-pixel mean needs the training images")),
    };

    /// <summary>The per-pixel mean of N×3×32×32 images on [0, 1] (§4.2), std 1.</summary>
    public static Normalization PerPixelMean(byte[] images)
    {
        const int size = CifarFormat.ImageBytes;
        var n = images.Length / size;
        if (n == 0 || images.Length % size != 0) throw new ArgumentException("no whole images to average");
        var sums = new long[size];
        for (var i = 0; i < n; i++)
        {
            var image = images.AsSpan(i * size, size);
            for (var p = 0; p < size; p++) sums[p] += image[p];
        }
        var mean = sums.Select(s => (float)(s / (255.0 * n))).ToArray();
        return new Normalization(NormalizationKind.Paper, mean, [1f]);
    }

    /// <summary>Same kind and the same mean and std values (arrays compared by content, so records round-trip equal).</summary>
    public bool Equals(Normalization? other) =>
        other is not null && Kind == other.Kind && Mean.AsSpan().SequenceEqual(other.Mean) && Std.AsSpan().SequenceEqual(other.Std);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Kind, Mean.Length, Mean.Length > 0 ? Mean[0] : 0);

    /// <summary>Device tensors that apply this normalisation to uint8 batches.</summary>
    public Normalizer ToDevice(Device device) => new(this, device);
}

/// <summary>Applies a <see cref="Normalization"/> to uint8 N×3×32×32 batches on the training device.</summary>
public sealed class Normalizer : IDisposable
{
    readonly Tensor offset;   // mean × 255, shaped to broadcast over the batch
    readonly Tensor scale;    // 1 / (255 × std)

    /// <summary>Mean and std shaped and scaled for byte images on <paramref name="device"/>, made once per loader.</summary>
    public Normalizer(Normalization normalization, Device device)
    {
        Normalization = normalization;
        offset = Shape(normalization.Mean, 255f, device);
        scale = Shape(normalization.Std, 255f, device).reciprocal_();   // float32 std·255, as mul_(255f) gave
    }

    /// <summary>The normalisation this normaliser applies.</summary>
    public Normalization Normalization { get; }

    static Tensor Shape(float[] values, float factor, Device device)
    {
        var shape = values.Length switch
        {
            1 => new long[] { 1, 1, 1 },
            3 => [3, 1, 1],
            CifarFormat.ImageBytes => [3, CifarFormat.Side, CifarFormat.Side],
            _ => throw new ArgumentException($"normalisation needs 1, 3 or {CifarFormat.ImageBytes} values, not {values.Length}"),
        };
        return tensor(values.Select(v => v * factor).ToArray(), shape, device: device).DetachFromDisposeScope();
    }

    /// <summary>float32 (x − 255·mean) / (255·std) for a uint8 batch.</summary>
    public Tensor Apply(Tensor images)
    {
        var x = images.to(ScalarType.Float32);
        return x.sub_(offset).mul_(scale);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        offset.Dispose();
        scale.Dispose();
    }
}
