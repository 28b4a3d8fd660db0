using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ResNetLab.Data;

/// <summary>The random choices for one batch: crop offsets into the padded image (0..2·Pad) and horizontal flips.</summary>
public sealed record AugmentationDraw(int[] Top, int[] Left, bool[] Flip);

/// <summary>
/// §4.2 training augmentation: "4 pixels are padded on each side, and a 32×32 crop is randomly sampled from the
/// padded image or its horizontal flip" — as two gathers over the whole batch on the training device. Padding is
/// applied after normalisation, so padded pixels are 0: the mean pixel for the paper's mean-subtracted input.
/// Every draw is a pure function of (seed, iteration), so an interrupted run resumes with the same crops.
/// </summary>
public sealed class Augmenter : IDisposable
{
    /// <summary>Pixels of zero padding on each side before the random 32×32 crop (§4.2: "4 pixels are padded on each side").</summary>
    public const int Pad = 4;
    const int Side = CifarFormat.Side;

    readonly Device device;
    readonly Tensor rows;      // 0..31 as (1, 1, 32, 1)
    readonly Tensor cols;      // 0..31 as (1, 1, 1, 32)
    readonly Tensor reversed;  // 31..0 as (1, 1, 1, 32)

    /// <summary>Index tensors for the crop and flip are made once on <paramref name="device"/> and reused for every batch.</summary>
    public Augmenter(Device device)
    {
        this.device = device;
        // 0..Side-1 from an array: arange would make Scalars a finalizer frees (Runtime.HeldScalars says why)
        var range = Enumerable.Range(0, Side).Select(i => (long)i).ToArray();
        rows = tensor(range, [1, 1, Side, 1], device: device).DetachFromDisposeScope();
        cols = tensor(range, [1, 1, 1, Side], device: device).DetachFromDisposeScope();
        reversed = cols.flip(3).DetachFromDisposeScope();
    }

    /// <summary>The crops and flips of batch <paramref name="iteration"/> of a run seeded <paramref name="seed"/>.</summary>
    public static AugmentationDraw Draw(int count, long seed, long iteration)
    {
        var rng = SplitMix64.For(seed, 0xA06, iteration);
        var (top, left, flip) = (new int[count], new int[count], new bool[count]);
        for (var i = 0; i < count; i++)
        {
            top[i] = rng.NextInt(2 * Pad + 1);
            left[i] = rng.NextInt(2 * Pad + 1);
            flip[i] = (rng.Next() & 1) == 1;
        }
        return new AugmentationDraw(top, left, flip);
    }

    /// <summary>Pad, crop and flip a normalised float batch N×3×32×32 by <paramref name="draw"/>; returns a new N×3×32×32 tensor.</summary>
    public Tensor Apply(Tensor images, AugmentationDraw draw)
    {
        var n = images.shape[0];
        if (draw.Top.Length != n) throw new ArgumentException($"draw for {draw.Top.Length} images, batch has {n}");
        using var scope = NewDisposeScope();
        var top = tensor(draw.Top.Select(v => (long)v).ToArray(), device: device).view(n, 1, 1, 1);
        var left = tensor(draw.Left.Select(v => (long)v).ToArray(), device: device).view(n, 1, 1, 1);
        var flip = tensor(draw.Flip, device: device).view(n, 1, 1, 1);
        var padded = F.pad(images, [Pad, Pad, Pad, Pad]);
        var rowIndex = (rows + top).expand(n, images.shape[1], Side, Side + 2 * Pad);
        var band = padded.gather(2, rowIndex);                                   // N×C×32×40: the chosen rows
        var colIndex = (where(flip, reversed, cols) + left).expand(n, images.shape[1], Side, Side);
        return band.gather(3, colIndex).MoveToOuterDisposeScope();               // N×C×32×32: the chosen columns
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        rows.Dispose();
        cols.Dispose();
        reversed.Dispose();
    }
}
