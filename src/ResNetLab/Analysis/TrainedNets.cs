using ResNetLab.Data;
using ResNetLab.Models;
using ResNetLab.Models.Pretrained;
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

/// <summary>
/// A trained net to measure: one of this project's runs, or a fully trained reference net (<see cref="ReferenceNets"/>).
/// The studies (layer responses, lesions, landscapes) take these, so a reference net stands beside the student's runs.
/// A run converts implicitly.
/// </summary>
/// <param name="Label">Legend label saying whose net it is.</param>
/// <param name="Spec">Its architecture.</param>
/// <param name="Format">The dataset it was trained on.</param>
/// <param name="Load">Builds the net with its trained weights, in eval mode, and the normalisation its inputs need (the caller disposes the model).</param>
/// <param name="InitialWeights">The file of its weights before training (a run's snapshot 0); null when unknown (a reference net).</param>
/// <param name="IsReference">A published, fully trained net rather than one of this project's runs.</param>
public sealed record TrainedNet(string Label, ModelSpec Spec, CifarFormat Format, Func<(ResNetModel Model, Normalization Normalization)> Load,
                                Func<string>? InitialWeights, bool IsReference)
{
    /// <summary>A run of this project, labelled as <see cref="RunAnalysis.Labels"/> labels it alone.</summary>
    public static implicit operator TrainedNet(RunResult run) => TrainedNets.Of(run);
}

/// <summary>Trained runs and reference nets loaded for measurement: the final weights, the normalisation and the dataset.</summary>
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

    /// <summary>A run as a net to measure; <paramref name="label"/> defaults to its label alone.</summary>
    public static TrainedNet Of(RunResult run, string? label = null) =>
        new(label ?? RunAnalysis.Labels([run])[0], run.Record.Config.Spec, run.Record.Config.Format, () => Load(run),
            () => LandscapeStudy.InitialSnapshot(run), IsReference: false);

    /// <summary>Runs as nets to measure, labelled together (shortcut or seed only where they would otherwise look alike).</summary>
    public static IReadOnlyList<TrainedNet> Of(IReadOnlyList<RunResult> runs)
    {
        var labels = RunAnalysis.Labels(runs);
        return runs.Select((r, i) => Of(r, labels[i])).ToList();
    }

    /// <summary>A fully trained reference net from <paramref name="folder"/> (default data/pretrained), verified before it is read.</summary>
    public static TrainedNet Reference(ReferenceNet net, string? folder = null) =>
        new(net.Label, ModelZoo.Spec(net.Model), CifarFormat.Cifar10, () => (ReferenceNets.Load(net, folder), net.InputNormalization),
            InitialWeights: null, IsReference: true);

    /// <summary>The dataset the net trained on (its format), from <paramref name="dataDir"/> or the default data folder.</summary>
    public static CifarData Data(TrainedNet net, string? dataDir) => CifarData.Load(DataLocation.Resolve(dataDir, net.Format, out _), net.Format);
}

/// <summary>Notebook 06: the fully trained reference nets' layer responses, by depth and against the student's plain nets.</summary>
/// <param name="ByDepth">Mean response std of each fully trained ResNet, shallow to deep.</param>
/// <param name="DeeperIsSmaller">Each deeper trained ResNet responds less (§4.2 on Fig. 7).</param>
/// <param name="AgainstYourPlain">At each depth both exist: the student's plain net against the fully trained ResNet.</param>
public sealed record TrainedResponseFacts(IReadOnlyList<ResponseByDepth> ByDepth, bool DeeperIsSmaller, IReadOnlyList<ResponsePair> AgainstYourPlain);

public static partial class Findings
{
    /// <summary>Notebook 06's facts for fully trained nets: smaller responses with depth, and smaller than the student's plain nets?</summary>
    public static TrainedResponseFacts TrainedResponses(IReadOnlyList<TrainedNet> nets, IReadOnlyList<ResponseSeries> series,
                                                        IReadOnlyList<FinalResult> yours, IReadOnlyList<ResponseSeries> yourSeries)
    {
        if (series.Count != nets.Count || yourSeries.Count != yours.Count) throw new ArgumentException("one response series per network");
        var byDepth = nets.Zip(series, (n, s) => new ResponseByDepth(n.Spec.Depth, s.Std.Average())).OrderBy(r => r.Depth).ToList();
        var plain = yours.Zip(yourSeries, (f, s) => (f, Mean: s.Std.Average())).Where(p => !p.f.Residual).ToList();
        var pairs = byDepth.SelectMany(r => plain.Where(p => p.f.Depth == r.Depth).Take(1).Select(p => new ResponsePair(r.Depth, p.Mean, r.Mean))).ToList();
        return new TrainedResponseFacts(byDepth, byDepth.Count >= 2 && byDepth.Zip(byDepth.Skip(1)).All(p => p.Second.Mean <= p.First.Mean), pairs);
    }
}
