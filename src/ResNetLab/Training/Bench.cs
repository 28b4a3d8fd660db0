using System.Diagnostics;
using System.Text.Json;
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
    string Layout,
    string Runtime);

/// <summary>Side-by-side ResNet-20 training throughput (img/s) of this engine and PyTorch on the same machine.</summary>
public sealed record PyTorchComparison(
    int Rounds,
    int Iterations,
    int Batch,
    int Threads,
    double TorchSharpImgPerS,
    double PyTorchImgPerS,
    double Ratio,
    string Layout,
    string PyTorchLayout,
    string PyTorchVersion,
    double[] TorchSharpRounds,
    double[] PyTorchRounds);

/// <summary>
/// Isolates the hot loops (nanoGPT's bench.py): the training step the trainer runs (<see cref="Trainer.Step(nn.Module{Tensor, Tensor}, MomentumSgd, Tensor, Tensor, double)"/>) on a
/// fixed random batch — as environment/bench/pytorch_resnet20.py does for PyTorch — evaluation, and the data path
/// (gather, normalise, pad/crop/flip) on synthetic uint8 images.
/// </summary>
public static class Bench
{
    /// <summary>Median timings for <paramref name="model"/>: training steps, evaluation and the data path, after <paramref name="warmup"/> untimed rounds.</summary>
    /// <param name="model">Registry name, e.g. resnet20.</param>
    /// <param name="batch">Images per step (128, §4.2).</param>
    /// <param name="iterations">Timed steps per measurement.</param>
    /// <param name="threads">Torch threads; null keeps libtorch's default.</param>
    /// <param name="device">CPU, CUDA or auto.</param>
    /// <param name="warmup">Untimed steps first (allocation, kernel choice).</param>
    /// <param name="progress">One line per phase, for the CLI.</param>
    /// <param name="channelsLast">Force the activation layout (nhwc or nchw); null lets the model choose for the device.</param>
    public static BenchResult Run(string model, int batch = 128, int iterations = 20, int? threads = null,
                                  DeviceChoice device = DeviceChoice.Auto, int warmup = 3, IProgress<string>? progress = null,
                                  bool? channelsLast = null)
    {
        if (iterations < 1 || batch < 1) throw new ArgumentException("iterations and batch size must be positive");
        var runtime = TorchRuntime.Initialize(device, threads, seed: 0);
        var dev = TorchRuntime.Device;
        using var net = ModelZoo.Create(model);
        net.ChannelsLast = channelsLast;
        net.to(dev);
        net.train();
        using var optimizer = new MomentumSgd(net.named_parameters().Select(p => (p.name, p.parameter)), 0.9, 1e-4);
        using var x = randn(batch, 3, net.InputSize, net.InputSize, device: dev);
        using var y = randint(0, net.NumClasses, [batch], device: dev);

        progress?.Report($"train step: {warmup} warm-up + {iterations} timed iterations of batch {batch}");
        for (var i = 0; i < warmup; i++) Trainer.Step(net, optimizer, x, y, 0.01);
        var rssStart = ProcessMemory.Rss().Current;
        var stepMs = Median(TimeSteps(net, optimizer, x, y, iterations));
        var rssEnd = ProcessMemory.Rss();

        progress?.Report("evaluation");
        var evalImgPerS = EvalThroughput(net, x, Math.Max(3, iterations / 4));
        progress?.Report("augmentation");
        var augImgPerS = AugmentThroughput(batch, dev, 200);

        return new BenchResult(net.Name, batch, iterations, get_num_threads(), dev.ToString(), stepMs, batch / stepMs * 1000,
            evalImgPerS, augImgPerS, rssEnd.Peak / 1024.0, (rssEnd.Current - rssStart) / 1024.0,
            net.LayoutName(dev.type), runtime.ToString());
    }

    /// <summary>Milliseconds of each of <paramref name="iterations"/> training steps on a fixed batch.</summary>
    static double[] TimeSteps(nn.Module<Tensor, Tensor> net, MomentumSgd optimizer, Tensor x, Tensor y, int iterations)
    {
        var steps = new double[iterations];
        for (var i = 0; i < iterations; i++)
        {
            var sw = Stopwatch.StartNew();
            Trainer.Step(net, optimizer, x, y, 0.01);
            if (x.device.type != DeviceType.CPU) cuda.synchronize();
            steps[i] = sw.Elapsed.TotalMilliseconds;
        }
        return steps;
    }

    /// <summary>
    /// ResNet-20 training throughput of this engine and of PyTorch (environment/bench/pytorch_resnet20.py: same model,
    /// batch, optimizer and threads) measured side by side: <paramref name="rounds"/> alternating rounds of
    /// <paramref name="iterations"/> timed steps each, so both see the same machine load. Medians of the round medians.
    /// </summary>
    public static PyTorchComparison ComparePyTorch(int batch = 128, int iterations = 20, int threads = 2, int rounds = 3,
                                                   string python = "/usr/bin/python3", IProgress<string>? progress = null,
                                                   bool? channelsLast = null, bool pytorchChannelsLast = false)
    {
        var script = Path.Combine(RepoPaths.Root, "environment", "bench", "pytorch_resnet20.py");
        if (!File.Exists(python)) throw new FileNotFoundException($"{python} not found: the PyTorch comparison needs Debian's python3-torch (apt-get install -y python3-torch)", python);
        TorchRuntime.Initialize(DeviceChoice.Cpu, threads, seed: 0);
        using var net = ModelZoo.Create("resnet20");
        net.ChannelsLast = channelsLast;
        net.train();
        using var optimizer = new MomentumSgd(net.named_parameters().Select(p => (p.name, p.parameter)), 0.9, 1e-4);
        using var x = randn(batch, 3, 32, 32);
        using var y = randint(0, 10, [batch]);
        for (var i = 0; i < 3; i++) Trainer.Step(net, optimizer, x, y, 0.01);
        var ours = new double[rounds];
        var theirs = new double[rounds];
        var version = "?";
        for (var r = 0; r < rounds; r++)
        {
            progress?.Report($"round {r + 1}/{rounds}: TorchSharp");
            ours[r] = batch / Median(TimeSteps(net, optimizer, x, y, iterations)) * 1000;
            progress?.Report($"round {r + 1}/{rounds}: PyTorch");
            var info = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { script, "--threads", threads.ToString(), "--batch", batch.ToString(), "--iters", iterations.ToString(), "--json" }) info.ArgumentList.Add(a);
            if (pytorchChannelsLast) info.ArgumentList.Add("--channels-last");
            using var p = Process.Start(info)!;
            var output = p.StandardOutput.ReadToEnd();
            var error = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0 && error.Contains("No module named 'torch'"))
                throw new InvalidOperationException($"{python} has no torch module: the PyTorch comparison needs Debian's python3-torch (apt-get install -y python3-torch)");
            if (p.ExitCode != 0) throw new InvalidOperationException($"{script} failed (exit {p.ExitCode}): {error.Trim()}");
            using var json = JsonDocument.Parse(output);
            theirs[r] = json.RootElement.GetProperty("train_img_per_s").GetDouble();
            version = json.RootElement.GetProperty("torch").GetString() ?? "?";
        }
        var (a1, b1) = (Median(ours), Median(theirs));
        return new PyTorchComparison(rounds, iterations, batch, threads, a1, b1, a1 / b1,
            net.LayoutName(DeviceType.CPU), LayoutName(pytorchChannelsLast), version, ours, theirs);
    }

    static string LayoutName(bool channelsLast) => channelsLast ? "nhwc" : "nchw";

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
}
