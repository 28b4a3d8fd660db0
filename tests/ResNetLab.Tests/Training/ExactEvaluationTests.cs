using ResNetLab.Data;
using ResNetLab.Runtime;
using ResNetLab.Training;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ResNetLab.Tests.Training;

/// <summary>
/// The numbers every notebook holds — test error, mean loss, image count, and the trainer's train loss/error per
/// metrics row — against answers worked out by hand, to the last digit.
/// </summary>
public class ExactEvaluationTests
{
    public ExactEvaluationTests() => TorchRuntime.Initialize(DeviceChoice.Cpu);

    /// <summary>Returns its input as the logits, and records the mode it was called in.</summary>
    sealed class GivenLogits() : nn.Module<Tensor, Tensor>("given_logits")
    {
        public List<bool> CalledInTrainingMode { get; } = [];

        public override Tensor forward(Tensor x)
        {
            CalledInTrainingMode.Add(training);
            return x.clone();
        }
    }

    /// <summary>
    /// Logits of one image: 0 for every class but one, which gets <paramref name="margin"/>. With a margin ≥ 20 the
    /// cross-entropy is exactly 0 in float32 when that class is the label and exactly the margin otherwise.
    /// </summary>
    static float[] Row(int predicted, int margin, int classes = 4)
    {
        var row = new float[classes];
        row[predicted] = margin;
        return row;
    }

    static (Tensor, Tensor) Batch(params (int Predicted, int Margin, int Label)[] images) => (
        tensor(images.SelectMany(i => Row(i.Predicted, i.Margin)).ToArray(), [images.Length, 4]),
        tensor(images.Select(i => (long)i.Label).ToArray(), ScalarType.Int64));

    [Fact]
    public void Evaluation_over_uneven_batches_gives_the_hand_counted_error_loss_and_image_count()
    {
        using var scope = NewDisposeScope();
        using var model = new GivenLogits();
        model.train();
        // 16 images in batches of 5, 3, 7 and 1; 6 are wrong, with margins 20 + 30 + 40 + 25 + 50 + 35 = 200.
        var batches = new[]
        {
            Batch((0, 20, 0), (1, 20, 2), (3, 30, 3), (2, 25, 2), (1, 30, 0)),           // wrong: 20, 30
            Batch((2, 40, 2), (0, 40, 1), (3, 20, 3)),                                   // wrong: 40
            Batch((1, 20, 1), (2, 25, 0), (0, 20, 0), (3, 50, 1), (1, 60, 1), (0, 20, 0), (2, 20, 2)),  // wrong: 25, 50
            Batch((3, 35, 0)),                                                           // wrong: 35
        };

        var result = Evaluation.Evaluate(model, batches);

        Assert.Equal(16, result.Images);
        Assert.Equal(6.0 / 16, result.Error);
        Assert.Equal(200.0 / 16, result.Loss);
        Assert.Equal(10.0 / 16, result.Accuracy);
        Assert.All(model.CalledInTrainingMode, Assert.False);   // evaluated in eval mode (BN running statistics) …
        Assert.Equal(4, model.CalledInTrainingMode.Count);
        Assert.True(model.training);                              // … and the model's own mode is given back

        model.eval();
        Evaluation.Evaluate(model, [Batch((0, 20, 0))]);
        Assert.False(model.training);
        Assert.Throws<InvalidOperationException>(() => Evaluation.Evaluate(model, []));
    }

    [Fact]
    public void Test_set_batches_cover_every_test_image_once_in_file_order()
    {
        using var scope = NewDisposeScope();
        // 7 test images, image i filled with the value 10·i and labelled i % 4; batches of 3 give 3, 3, 1.
        var images = Enumerable.Range(0, 7).SelectMany(i => Enumerable.Repeat((byte)(10 * i), CifarFormat.ImageBytes)).ToArray();
        var labels = Enumerable.Range(0, 7).Select(i => (byte)(i % 4)).ToArray();
        var data = new CifarData(CifarFormat.Cifar10, [], [], images, labels, DataSourceKind.Custom, "synthetic");
        var identity = new Normalization(NormalizationKind.Cifar, [0f], [1f / 255]);   // x = pixel value

        var seen = new List<(long Size, float Pixel, long Label)>();
        foreach (var (x, y) in TestSet.Batches(data, identity, CPU, batchSize: 3))
            for (var i = 0; i < y.shape[0]; i++)
                seen.Add((y.shape[0], x[i, 2, 31, 31].item<float>(), y[i].item<long>()));

        Assert.Equal(Enumerable.Range(0, 7).Select(i => ((long)(i < 6 ? 3 : 1), 10f * i, (long)(i % 4))), seen);
    }

    /// <summary>Logits = flattened image · Wᵀ with fixed weights (no draw from libtorch's generator).</summary>
    sealed class FixedLinear : nn.Module<Tensor, Tensor>
    {
        readonly TorchSharp.Modules.Parameter weight;

        public FixedLinear(int seed) : base("fixed_linear")
        {
            var rng = new Random(seed);
            var w = Enumerable.Range(0, 10 * CifarFormat.ImageBytes).Select(_ => (float)(rng.NextDouble() - 0.5) * 0.01f).ToArray();
            weight = new TorchSharp.Modules.Parameter(tensor(w, [10, CifarFormat.ImageBytes]));
            register_parameter("weight", weight);
        }

        public override Tensor forward(Tensor x) => x.flatten(1).matmul(weight.t());
    }

    [Fact]
    public void Metrics_rows_hold_the_exact_train_loss_and_error_of_the_batches_since_the_previous_row()
    {
        using var scope = NewDisposeScope();
        var rng = new Random(11);
        byte[] Bytes(int n) { var b = new byte[n]; rng.NextBytes(b); return b; }
        byte[] Labels(int n) => Enumerable.Range(0, n).Select(_ => (byte)rng.Next(10)).ToArray();
        var split = new CifarSplit(DataSplit.Full, Bytes(40 * CifarFormat.ImageBytes), Labels(40), Bytes(13 * CifarFormat.ImageBytes), Labels(13), "test");

        // Learning rate 0: the weights never move, so every batch's logits can be recomputed here afterwards.
        var recipe = new TrainingRecipe(BatchSize: 8, LearningRate: 0, Momentum: 0.9, WeightDecay: 1e-4, Milestones: [], LrDecay: 0.1, Iterations: 7);
        var budget = new Budget("exact", Iterations: 7, EvalEvery: 3, CheckpointEvery: 100, TrainImages: null, EvalImages: null, "tests");
        var config = new RunConfig { Model = "fixed-linear", Budget = budget, Recipe = recipe, Augment = false, Seed = 5 };
        var dir = TestPaths.TempDir("exact-train");
        try
        {
            using var model = new FixedLinear(seed: 3);
            using var loader = new CifarLoader(split, Normalization.Cifar, recipe.BatchSize, config.Seed, augment: false, CPU);
            using var optimizer = new MomentumSgd(model.named_parameters().Select(p => (p.name, p.parameter)), recipe.Momentum, recipe.WeightDecay);
            var trainer = new Trainer(model, loader, optimizer, new LearningRateSchedule(recipe, warmup: null), config, evalBatchSize: 5);
            Assert.Equal(TrainerStop.Finished, trainer.Run());

            // By hand: each batch's mean cross-entropy (as the trainer reads it, a float) and its errors counted in a loop.
            var batches = Enumerable.Range(0, 7).Select(t =>
            {
                using var s = NewDisposeScope();
                var (x, y) = loader.TrainBatch(t);
                var logits = model.call(x);
                return (Loss: (double)F.cross_entropy(logits, y).item<float>(), Errors: Wrong(logits, y));
            }).ToArray();
            var evalErrors = loader.EvalBatches(13).Sum(b => Wrong(model.call(b.Images), b.Labels));

            Assert.Equal([3, 6, 7], trainer.Metrics.Select(m => m.Iteration));
            foreach (var (row, from, to) in new[] { (0, 0, 3), (1, 3, 6), (2, 6, 7) })
            {
                var metrics = trainer.Metrics[row];
                var interval = batches[from..to];
                Assert.Equal(interval.Sum(b => b.Errors) / (double)(8 * interval.Length), metrics.TrainError);
                Assert.Equal(interval.Aggregate(0.0, (sum, b) => sum + b.Loss) / interval.Length, metrics.TrainLoss);
                Assert.Equal(evalErrors / 13.0, metrics.TestError);
            }
            Assert.InRange(batches.Sum(b => b.Errors), 1, 7 * 8 - 1);   // the fixed weights get some right, some wrong
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Images whose largest logit (first one on a tie) is not the label, counted without torch's argmax.</summary>
    static int Wrong(Tensor logits, Tensor labels)
    {
        var values = logits.detach().data<float>().ToArray();
        var y = labels.data<long>().ToArray();
        var classes = (int)logits.shape[1];
        var wrong = 0;
        for (var i = 0; i < y.Length; i++)
        {
            var best = 0;
            for (var c = 1; c < classes; c++)
                if (values[i * classes + c] > values[i * classes + best]) best = c;
            if (best != y[i]) wrong++;
        }
        return wrong;
    }
}
