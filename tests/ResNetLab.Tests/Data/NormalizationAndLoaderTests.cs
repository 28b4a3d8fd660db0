using ResNetLab.Data;
using ResNetLab.Runtime;
using static TorchSharp.torch;
using static ResNetLab.Tests.TensorAssert;

namespace ResNetLab.Tests.Data;

public class NormalizationAndLoaderTests
{
    public NormalizationAndLoaderTests() => TorchRuntime.Initialize(DeviceChoice.Cpu);

    static CifarData Real => CifarData.Load(TestPaths.Cifar10);

    [Fact]
    public void Paper_mean_is_per_pixel_and_matches_the_known_channel_means()
    {
        var n = Normalization.PerPixelMean(Real.TrainImages);
        Assert.Equal(3 * 32 * 32, n.Mean.Length);
        // Official channel means 125.3, 123.0, 113.9 (the mirror is within 0.04/255 of them, its README).
        double[] official = [125.3, 123.0, 113.9];
        for (var c = 0; c < 3; c++)
            Assert.InRange(n.Mean.Skip(c * 1024).Take(1024).Average() * 255, official[c] - 0.3, official[c] + 0.3);
        Assert.True(n.Mean.Distinct().Count() > 1000);   // per pixel, not per channel

        // Normalised, the training set has mean 0 at every pixel, to float precision: a mean off by 1/50,000 of itself
        // (e.g. dividing by n + 1) is ~1e-5 at some pixel; float32 rounding stays below ~1e-7.
        using var scope = NewDisposeScope();
        using var normalizer = n.ToDevice(CPU);
        var sums = new double[3072];
        var images = Real.TrainImages;
        var count = images.Length / 3072;
        const int chunk = 5_000;
        for (var start = 0; start < count; start += chunk)
        {
            using var step = NewDisposeScope();
            var batch = tensor(images.AsSpan(start * 3072, chunk * 3072).ToArray(), [chunk, 3, 32, 32], ScalarType.Byte);
            var x = normalizer.Apply(batch);
            Assert.Equal(ScalarType.Float32, x.dtype);
            var perPixel = x.to(ScalarType.Float64).sum(new long[] { 0 }).data<double>().ToArray();   // sum(0) would be sum(dtype: Byte)
            for (var p = 0; p < 3072; p++) sums[p] += perPixel[p];
        }
        var worst = sums.Max(s => Math.Abs(s / count));
        Assert.True(worst < 2e-6, $"normalised training images have mean {worst:E2} at some pixel, not 0");
    }

    [Fact]
    public void Kinds_parse_and_normalisations_compare_by_value()
    {
        // Survivors of the mutation run on Normalization.cs (environment/README.md): the default kind and equality.
        Assert.Equal(NormalizationKind.Paper, Normalization.ParseKind(null));
        Assert.Equal(NormalizationKind.Paper, Normalization.ParseKind(""));
        Assert.Equal(NormalizationKind.Paper, Normalization.ParseKind(" Paper "));
        Assert.Contains("normalization 'zca' is not one of", Assert.Throws<ArgumentException>(() => Normalization.ParseKind("zca")).Message);
        Assert.Throws<ArgumentException>(() => Normalization.PerPixelMean(new byte[3072 + 5]));
        Assert.Throws<ArgumentException>(() => Normalization.PerPixelMean([]));
        var a = Normalization.PerPixelMean(Enumerable.Repeat((byte)10, 3072).ToArray());
        var b = Normalization.PerPixelMean(Enumerable.Repeat((byte)10, 3072).ToArray());
        var c = Normalization.PerPixelMean(Enumerable.Range(0, 3072).Select(i => (byte)(i == 3071 ? 11 : 10)).ToArray());
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, c);
        Assert.NotEqual(a, Normalization.Cifar);
    }

    [Fact]
    public void Channel_presets_standardise_on_zero_to_one_pixels()
    {
        using var scope = NewDisposeScope();
        Assert.Equal(NormalizationKind.ImageNet, Normalization.ParseKind("imagenet"));
        Assert.Throws<ArgumentException>(() => Normalization.ParseKind("zca"));
        using var normalizer = Normalization.ImageNet.ToDevice(CPU);
        var white = full(new long[] { 1, 3, 2, 2 }, 255, ScalarType.Byte);
        var x = normalizer.Apply(white);
        Assert.Equal((1 - 0.485) / 0.229, x[0, 0, 0, 0].item<float>(), 4);
        Assert.Equal((1 - 0.406) / 0.225, x[0, 2, 1, 1].item<float>(), 4);
        using var cifar = Normalization.For(NormalizationKind.Cifar).ToDevice(CPU);
        Assert.Equal(-0.4914 / 0.2470, cifar.Apply(zeros(new long[] { 1, 3, 1, 1 }, ScalarType.Byte))[0, 0, 0, 0].item<float>(), 4);
    }

    [Fact]
    public void Each_epoch_visits_every_image_once_in_a_seeded_order()
    {
        var split = CifarSplit.Make(Real, DataSplit.Full, 0, trainLimit: 1_000, evalLimit: 300);
        using var loader = new CifarLoader(split, Normalization.Cifar, 100, seed: 9, augment: true, CPU);
        Assert.Equal(10, loader.BatchesPerEpoch);
        var epoch0 = Enumerable.Range(0, 10).SelectMany(t => loader.BatchIndices(t)).ToArray();
        var epoch1 = Enumerable.Range(10, 10).SelectMany(t => loader.BatchIndices(t)).ToArray();
        Assert.Equal(Enumerable.Range(0, 1_000), epoch0.Order());
        Assert.Equal(Enumerable.Range(0, 1_000), epoch1.Order());
        Assert.NotEqual(epoch0, epoch1);
        using var again = new CifarLoader(split, Normalization.Cifar, 100, seed: 9, augment: true, CPU);
        Assert.Equal(loader.BatchIndices(13), again.BatchIndices(13));

        using var scope = NewDisposeScope();
        var (x, y) = loader.TrainBatch(13);
        var (x2, y2) = again.TrainBatch(13);
        Assert.Equal(new long[] { 100, 3, 32, 32 }, x.shape);
        Assert.True(Same(x, x2) && Same(y, y2));
        Assert.Equal(loader.BatchIndices(13).Select(i => (long)split.TrainLabels[i]), y.data<long>().ToArray());
        Assert.Equal(300, loader.EvalBatches(128).Sum(b => (int)b.Labels.shape[0]));
    }
}
