using ResNetLab.Data;
using ResNetLab.Models;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ResNetLab.Training;

/// <summary>Mean cross-entropy and top-1 error over a set of images.</summary>
public sealed record EvalResult(double Loss, double Error, int Images)
{
    /// <summary>Top-1 accuracy, 1 − error.</summary>
    public double Accuracy => 1 - Error;
}

/// <summary>Loss and top-1 error of a model over batches, the same code for training-time evaluation and <c>resnet eval</c>.</summary>
public static class Evaluation
{
    /// <summary>
    /// Evaluate <paramref name="model"/> in eval mode (BN running statistics) without gradients, restoring its mode.
    /// With <paramref name="batchStatistics"/> BN normalises each batch with its own statistics instead (training mode,
    /// still no gradient), and every buffer — the running statistics it updates — is put back afterwards.
    /// Each batch's tensors are freed as soon as it is counted.
    /// </summary>
    public static EvalResult Evaluate(nn.Module<Tensor, Tensor> model, IEnumerable<(Tensor Images, Tensor Labels)> batches, bool batchStatistics = false)
    {
        var wasTraining = model.training;
        var buffers = batchStatistics ? model.named_buffers().Select(b => (b.buffer, Copy: b.buffer.detach().clone())).ToList() : [];
        model.train(batchStatistics);
        try
        {
            using var _ = no_grad();
            double lossSum = 0;
            long errors = 0, images = 0;
            using var e = batches.GetEnumerator();
            while (true)
            {
                using var scope = NewDisposeScope();
                if (!e.MoveNext()) break;
                var (x, y) = e.Current;
                var logits = model.call(ResNetModel.InTrainingLayout(model, x));
                lossSum += F.cross_entropy(logits, y, reduction: nn.Reduction.Sum).item<float>();
                errors += logits.argmax(1).ne(y).sum().item<long>();
                images += y.shape[0];
            }
            if (images == 0) throw new InvalidOperationException("nothing to evaluate: the evaluation set is empty");
            return new EvalResult(lossSum / images, (double)errors / images, (int)images);
        }
        finally
        {
            using (no_grad())
                foreach (var (buffer, copy) in buffers) { buffer.copy_(copy); copy.Dispose(); }
            model.train(wasTraining);
        }
    }
}

/// <summary>Evaluating saved weights on a dataset's whole test set (`resnet eval`).</summary>
public static class TestSet
{
    /// <summary>Normalised test batches of <paramref name="data"/> on <paramref name="device"/>, in file order.</summary>
    public static IEnumerable<(Tensor Images, Tensor Labels)> Batches(CifarData data, Normalization normalization, Device device, int batchSize = 500)
    {
        using var normalizer = normalization.ToDevice(device);
        for (var start = 0; start < data.TestCount; start += batchSize)
        {
            var n = Math.Min(batchSize, data.TestCount - start);
            var (raw, labels) = data.Slice(start, n);
            using (raw)
            {
                using var images = raw.to(device);
                yield return (normalizer.Apply(images), labels.to(device));
            }
        }
    }

    /// <summary>Loss and error of <paramref name="model"/> on the whole test set of <paramref name="data"/>.</summary>
    public static EvalResult Evaluate(nn.Module<Tensor, Tensor> model, CifarData data, Normalization normalization, Device device, int batchSize = 500) =>
        Evaluation.Evaluate(model, Batches(data, normalization, device, batchSize));
}
