using static TorchSharp.torch;

namespace ResNetLab.Data;

/// <summary>
/// A run's images resident on the training device as uint8 (150 MB for CIFAR-10; on the GPU when training there),
/// served as normalised, augmented batches. Batch t is a pure function of (seed, t): epoch e = t / (N / B) visits the
/// images in a seeded order (the last partial batch is dropped), so a resumed run sees exactly the same batches.
/// </summary>
public sealed class CifarLoader : IDisposable
{
    readonly Tensor trainImages, trainLabels, evalImages, evalLabels;
    readonly Normalizer normalizer;
    readonly Augmenter augmenter;
    readonly long seed;
    (long Epoch, int[] Order)? order;

    /// <summary>Training batches from <paramref name="split"/>, normalised on <paramref name="device"/>, shuffled per epoch by <paramref name="seed"/>.</summary>
    /// <param name="split">The training and evaluation images of the run.</param>
    /// <param name="normalization">Applied to every batch on the device.</param>
    /// <param name="batchSize">Images per batch (128, §4.2).</param>
    /// <param name="seed">Batch t is a pure function of (seed, t): order and augmentation.</param>
    /// <param name="augment">§4.2 pad-4, random 32×32 crop and horizontal flip on training batches.</param>
    /// <param name="device">Where the images are kept and batches made.</param>
    public CifarLoader(CifarSplit split, Normalization normalization, int batchSize, long seed, bool augment, Device device)
    {
        if (split.TrainCount < batchSize)
            throw new ArgumentException($"{split.TrainCount} training images cannot fill one batch of {batchSize}");
        (BatchSize, this.seed, Augment, Device) = (batchSize, seed, augment, device);
        (TrainCount, EvalCount) = (split.TrainCount, split.EvalCount);
        trainImages = Images(split.TrainImages, device);
        trainLabels = Labels(split.TrainLabels, device);
        evalImages = Images(split.EvalImages, device);
        evalLabels = Labels(split.EvalLabels, device);
        normalizer = normalization.ToDevice(device);
        augmenter = new Augmenter(device);
    }

    /// <summary>Images per training batch (128 in §4.2).</summary>
    public int BatchSize { get; }
    /// <summary>Whether training batches get §4.2's pad/crop/flip.</summary>
    public bool Augment { get; }
    /// <summary>Device the batches are made on.</summary>
    public Device Device { get; }
    /// <summary>Training images of the split (50k full, 45k with validation).</summary>
    public int TrainCount { get; }
    /// <summary>Evaluation images of the split (10k test or 5k validation).</summary>
    public int EvalCount { get; }
    /// <summary>The per-channel normalisation applied to every batch.</summary>
    public Normalization Normalization => normalizer.Normalization;
    /// <summary>Full batches per epoch; the remainder of an epoch is dropped, as PyTorch's drop_last.</summary>
    public int BatchesPerEpoch => TrainCount / BatchSize;

    static Tensor Images(byte[] bytes, Device device) =>
        tensor(bytes, [bytes.Length / CifarFormat.ImageBytes, CifarFormat.Channels, CifarFormat.Side, CifarFormat.Side], ScalarType.Byte)
            .to(device).DetachFromDisposeScope();

    static Tensor Labels(byte[] bytes, Device device) =>
        tensor(bytes.Select(b => (long)b).ToArray(), ScalarType.Int64).to(device).DetachFromDisposeScope();

    /// <summary>Indices (into the training set) of batch <paramref name="iteration"/>.</summary>
    public int[] BatchIndices(long iteration)
    {
        var epoch = iteration / BatchesPerEpoch;
        if (order is not { } o || o.Epoch != epoch)
        {
            order = (epoch, SplitMix64.For(seed, 0xE90C, epoch).Permutation(TrainCount));
            o = order.Value;
        }
        var start = (int)(iteration % BatchesPerEpoch) * BatchSize;
        return o.Order[start..(start + BatchSize)];
    }

    /// <summary>Normalised (and, when on, augmented) images N×3×32×32 and labels of training batch <paramref name="iteration"/>.</summary>
    public (Tensor Images, Tensor Labels) TrainBatch(long iteration)
    {
        var indices = BatchIndices(iteration);
        using var scope = NewDisposeScope();
        var index = tensor(indices.Select(i => (long)i).ToArray(), ScalarType.Int64).to(Device);
        var x = normalizer.Apply(trainImages.index_select(0, index));
        if (Augment) x = augmenter.Apply(x, Augmenter.Draw(indices.Length, seed, iteration));
        var y = trainLabels.index_select(0, index);
        return (x.MoveToOuterDisposeScope(), y.MoveToOuterDisposeScope());
    }

    /// <summary>The evaluation set (test or validation) in order, normalised, single original view (§4.2).</summary>
    public IEnumerable<(Tensor Images, Tensor Labels)> EvalBatches(int batchSize)
    {
        for (long start = 0; start < EvalCount; start += batchSize)
        {
            var length = Math.Min(batchSize, EvalCount - start);
            using var images = evalImages.narrow(0, start, length);
            yield return (normalizer.Apply(images), evalLabels.narrow(0, start, length));
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        trainImages.Dispose();
        trainLabels.Dispose();
        evalImages.Dispose();
        evalLabels.Dispose();
        normalizer.Dispose();
        augmenter.Dispose();
    }
}
