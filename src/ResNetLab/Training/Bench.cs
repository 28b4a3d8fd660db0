using System.Diagnostics;
using ResNetLab.Data;
using ResNetLab.Models;
using ResNetLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNetLab.Training;

/// <summary>The project's performance figures (`resnet bench`): medians over timed repetitions after warm-up.</summary>
public sealed record BenchResult(
    string Model,
    int Batch,
    int Iterations,
    int Threads,
    string Device,
    double TrainStepMs,
    double TrainImgPerS,
    double EvalImgPerS,
    double AugmentImgPerS,
    double PeakRssMb,
    double RssGrowthMb,
    string Runtime);

/// <summary>
/// Isolates the hot loops (nanoGPT's bench.py): the training step the trainer runs (<see cref="Trainer.Step"/>) on a
/// fixed random batch — as environment/bench/pytorch_resnet20.py does for PyTorch — evaluation, and the data path
/// (gather, normalise, pad/crop/flip) on synthetic uint8 images.
/// </summary>
public static class Bench
{
    public static BenchResult Run(string model, int batch = 128, int iterations = 20, int? threads = null,
                                  DeviceChoice device = DeviceChoice.Auto, int warmup = 3, IProgress<string>? progress = null)
    {
        if (iterations < 1 || batch < 1) throw new ArgumentException("--iters and --batch must be positive");
        var runtime = TorchRuntime.Initialize(device, threads, seed: 0);
        var dev = TorchRuntime.Device;
        using var net = Models.Models.Create(model);
        net.to(dev);
        net.train();
        using var optimizer = new MomentumSgd(net.named_parameters().Select(p => (p.name, p.parameter)), 0.9, 1e-4);
        using var x = randn(batch, 3, net.InputSize, net.InputSize, device: dev);
        using var y = randint(0, net.NumClasses, [batch], device: dev);

        progress?.Report($"train step: {warmup} warm-up + {iterations} timed iterations of batch {batch}");
        for (var i = 0; i < warmup; i++) Trainer.Step(net, optimizer, x, y, 0.01);
        var rssStart = Rss().Current;
        var steps = new double[iterations];
        for (var i = 0; i < iterations; i++)
        {
            var sw = Stopwatch.StartNew();
            Trainer.Step(net, optimizer, x, y, 0.01);
            steps[i] = sw.Elapsed.TotalMilliseconds;
        }
        var rssEnd = Rss();
        var stepMs = Median(steps);

        progress?.Report("evaluation");
        var evalImgPerS = EvalThroughput(net, x, Math.Max(3, iterations / 4));
        progress?.Report("augmentation");
        var augImgPerS = AugmentThroughput(batch, dev, 200);

        return new BenchResult(net.Name, batch, iterations, get_num_threads(), dev.ToString(), stepMs, batch / stepMs * 1000,
            evalImgPerS, augImgPerS, rssEnd.Peak / 1024.0, (rssEnd.Current - rssStart) / 1024.0, runtime.ToString());
    }

    static double EvalThroughput(nn.Module<Tensor, Tensor> net, Tensor x, int repeats)
    {
        net.eval();
        using var _ = no_grad();
        var times = new double[repeats];
        for (var i = -1; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            using (net.call(x)) { }
            if (i >= 0) times[i] = sw.Elapsed.TotalSeconds;
        }
        net.train();
        return x.shape[0] / Median(times);
    }

    /// <summary>Batches per second of the training data path on 10,000 random images, as img/s.</summary>
    public static double AugmentThroughput(int batch, Device device, int repeats)
    {
        const int images = 10_000;
        var bytes = new byte[images * CifarFormat.ImageBytes];
        new Random(0).NextBytes(bytes);
        var labels = Enumerable.Range(0, images).Select(i => (byte)(i % 10)).ToArray();
        var split = new CifarSplit(DataSplit.Full, bytes, labels, bytes[..(1000 * CifarFormat.ImageBytes)], labels[..1000], "test");
        using var loader = new CifarLoader(split, Normalization.PerPixelMean(bytes), batch, 0, augment: true, device);
        var times = new double[repeats];
        for (var i = -5; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            using (var scope = NewDisposeScope())
            {
                var (bx, _) = loader.TrainBatch(i + 5);
                if (device.type != DeviceType.CPU) bx.sum().item<float>();   // wait for the GPU
            }
            if (i >= 0) times[i] = sw.Elapsed.TotalSeconds;
        }
        return batch / Median(times);
    }

    static double Median(double[] values)
    {
        var s = values.OrderBy(v => v).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>Resident set size and its peak (VmRSS, VmHWM) in KiB; zeros where /proc is absent.</summary>
    public static (long Current, long Peak) Rss()
    {
        if (!File.Exists("/proc/self/status")) return (0, 0);
        long current = 0, peak = 0;
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) current = ParseKb(line);
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = ParseKb(line);
        }
        return (current, peak);
    }

    static long ParseKb(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
}
