using ResNetLab.Data;
using ResNetLab.Models;
using ResNetLab.Training;
using static TorchSharp.torch;

namespace ResNetLab.Analysis;

/// <summary>
/// Fixed, normalised image batches kept in memory for measurements that evaluate the same images many times (lesions,
/// loss landscapes). Disposing frees them.
/// </summary>
public sealed class ImageBatches : IDisposable
{
    readonly List<(Tensor X, Tensor Y)> batches;

    ImageBatches(List<(Tensor X, Tensor Y)> batches) => this.batches = batches;

    /// <summary>The batches, in file order.</summary>
    public IReadOnlyList<(Tensor X, Tensor Y)> Batches => batches;

    /// <summary>How many images in all.</summary>
    public int Images => batches.Sum(b => (int)b.Y.shape[0]);

    /// <summary>
    /// The first <paramref name="images"/> images of the test set (or of the training set, without augmentation),
    /// normalised with the run's statistics, in batches of at most <paramref name="batchSize"/>.
    /// </summary>
    public static ImageBatches First(CifarData data, Normalization normalization, int images, bool training = false, int batchSize = 250)
    {
        if (images < 1) throw new ArgumentOutOfRangeException(nameof(images), images, "at least one image is needed");
        images = Math.Min(images, training ? data.TrainCount : data.TestCount); // more than the set has: all of it
        using var normalizer = normalization.ToDevice(CPU);
        var list = new List<(Tensor, Tensor)>();
        for (var start = 0; start < images; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var n = Math.Min(batchSize, images - start);
            var (raw, labels) = data.Slice(start, n, training);
            list.Add((normalizer.Apply(raw).DetachFromDisposeScope(), labels.DetachFromDisposeScope()));
        }
        return new ImageBatches(list);
    }

    /// <summary>Frees the images.</summary>
    public void Dispose()
    {
        foreach (var (x, y) in batches) { x.Dispose(); y.Dispose(); }
        batches.Clear();
    }
}

/// <summary>Trained runs loaded for measurement: the final weights, the run's normalisation and its dataset.</summary>
public static class TrainedNets
{
    /// <summary>The run's network with its final weights (from its checkpoint), in eval mode, and the normalisation it trained with.</summary>
    public static (ResNetModel Model, Normalization Normalization) Load(RunResult run)
    {
        var model = Experiment.CreateModel(run.Record.Config);
        var state = run.RunFolder.LoadCheckpoint(model, optimizer: null);
        model.eval();
        return (model, state.Normalization);
    }

    /// <summary>The dataset the run trained on (its format), from <paramref name="dataDir"/> or the default data folder.</summary>
    public static CifarData Data(RunResult run, string? dataDir)
    {
        var format = run.Record.Config.Format;
        return CifarData.Load(DataLocation.Resolve(dataDir, format, out _), format);
    }
}
