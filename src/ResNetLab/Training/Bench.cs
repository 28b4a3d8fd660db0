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
    string Precision,
    string Runtime,
    double MinorFaultsPerStep = 0,
    string NativeHeap = "");

/// <summary>One configuration of the side-by-side comparison: median img/s over the rounds, and each round's.</summary>
/// <param name="Engine">"TorchSharp" (this engine) or "PyTorch x.y".</param>
/// <param name="Layout">nchw or nhwc (channels-last).</param>
/// <param name="Precision">fp32, or bf16 (ours: <see cref="ResNetModel.Precision"/>; PyTorch: autocast).</param>
/// <param name="ImgPerS">Median over the rounds of each round's median step, as images per second.</param>
/// <param name="Rounds">Each round's img/s, in order.</param>
public sealed record CompareRow(string Engine, string Layout, string Precision, double ImgPerS, double[] Rounds)
{
    /// <summary>E.g. "TorchSharp nhwc bf16", the row's name in ratios.</summary>
    public string Label => $"{Engine} {Layout} {Precision}";
}

/// <summary>Side-by-side ResNet-20 training throughput (img/s) of this engine and PyTorch on the same machine.</summary>
/// <param name="Rounds">Alternating rounds; every configuration is timed once per round.</param>
/// <param name="Iterations">Timed steps per configuration and round.</param>
/// <param name="Batch">Images per step.</param>
/// <param name="Threads">CPU threads on both sides.</param>
/// <param name="PyTorchVersion">torch.__version__ of the reference.</param>
/// <param name="Rows">Ours (fp32, bf16), then PyTorch (NCHW fp32, NHWC fp32, NHWC bf16 autocast).</param>
/// <param name="Ratios">Each of our rows divided by each of PyTorch's, keyed "ours / theirs": the median of the
/// per-round ratios — a round times both back to back, so its ratio sees one machine load, where the ratio of the two
/// medians can pair a quiet round of one with a busy round of the other.</param>
/// <param name="RoundRatios">The same ratios, round by round, in order.</param>
public sealed record PyTorchComparison(int Rounds, int Iterations, int Batch, int Threads, string PyTorchVersion,
                                       IReadOnlyList<CompareRow> Rows, IReadOnlyDictionary<string, double> Ratios,
                                       IReadOnlyDictionary<string, double[]> RoundRatios);

/// <summary>
/// Isolates the hot loops (nanoGPT's bench.py): the training step the trainer runs (<see cref="Trainer.Step(nn.Module{Tensor, Tensor}, MomentumSgd, Tensor, Tensor, double, MixedPrecision)"/>) on a
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
    /// <param name="precision">fp32, or bf16 mixed precision (see <see cref="ResNetModel.Precision"/>).</param>
    public static BenchResult Run(string model, int batch = 128, int iterations = 20, int? threads = null,
                                  DeviceChoice device = DeviceChoice.Auto, int warmup = 3, IProgress<string>? progress = null,
                                  bool? channelsLast = null, Precision precision = Precision.Fp32)
    {
        if (iterations < 1 || batch < 1) throw new ArgumentException("iterations and batch size must be positive");
        var runtime = TorchRuntime.Initialize(device, threads, seed: 0);
        var dev = TorchRuntime.Device;
        using var rig = new StepRig(model, batch, dev, channelsLast, precision);

        progress?.Report($"train step: {warmup} warm-up + {iterations} timed iterations of batch {batch}");
        rig.Steps(warmup);
        var rssStart = ProcessMemory.Rss().Current;
        var faultsStart = ProcessMemory.MinorFaults();
        // Under ONEDNN_VERBOSE (`bench --profile` runs this in a child) markers bracket the timed steps' kernels.
        if (KernelProfile.Profiling) Console.Out.WriteLine(KernelProfile.StartMarker);
        var stepMs = Stats.Median(rig.Steps(iterations));
        if (KernelProfile.Profiling) Console.Out.WriteLine(KernelProfile.EndMarker);
        var rssEnd = ProcessMemory.Rss();
        var faultsPerStep = (ProcessMemory.MinorFaults() - faultsStart) / (double)iterations;

        progress?.Report("evaluation");
        var evalImgPerS = EvalThroughput(rig.Net, rig.X, Math.Max(3, iterations / 4));
        progress?.Report("augmentation");
        var augImgPerS = AugmentThroughput(batch, dev, 200);

        return new BenchResult(rig.Net.Name, batch, iterations, get_num_threads(), dev.ToString(), stepMs, batch / stepMs * 1000,
            evalImgPerS, augImgPerS, rssEnd.Peak / 1024.0, (rssEnd.Current - rssStart) / 1024.0,
            rig.Net.LayoutName(dev.type), precision.Name(), runtime.ToString(), faultsPerStep, NativeHeap.Setting.Note);
    }

    /// <summary>
    /// Training images per second of <paramref name="model"/> in fp32 on this machine's torch setup: <paramref name="warmup"/>
    /// untimed steps, then the median of <paramref name="iterations"/> timed ones — training steps only, no evaluation or
    /// augmentation timing (what <see cref="TrainingEstimate"/> measures when no finished run can price a plan).
    /// </summary>
    public static double TrainImagesPerSecond(string model, int batch, int iterations, int warmup)
    {
        if (iterations < 1 || batch < 1) throw new ArgumentException("iterations and batch size must be positive");
        TorchRuntime.Initialize(DeviceChoice.Auto, threads: null, seed: 0);
        using var rig = new StepRig(model, batch, TorchRuntime.Device, channelsLast: null, Precision.Fp32);
        rig.Steps(warmup);
        return batch / Stats.Median(rig.Steps(iterations)) * 1000;
    }

    /// <summary>A freshly built net in training mode, its optimizer and one fixed random batch: what a timed step needs.</summary>
    sealed class StepRig : IDisposable
    {
        public ResNetModel Net { get; }
        public Tensor X { get; }
        readonly MomentumSgd optimizer;
        readonly MixedPrecision working;
        readonly Tensor y;

        public StepRig(string model, int batch, Device device, bool? channelsLast, Precision precision)
        {
            Net = ModelZoo.Create(model);
            Net.ChannelsLast = channelsLast;
            Net.Precision = precision;
            Net.to(device);
            Net.train();
            optimizer = new MomentumSgd(Net.named_parameters().Select(p => (p.name, p.parameter)), 0.9, 1e-4);
            working = new MixedPrecision(optimizer.Parameters);   // used by the step only when the net runs in bf16
            X = randn(batch, 3, Net.InputSize, Net.InputSize, device: device);
            y = randint(0, Net.NumClasses, [batch], device: device);
        }

        /// <summary>Milliseconds of each of <paramref name="count"/> training steps on the fixed batch.</summary>
        public double[] Steps(int count) => TimeSteps(Net, optimizer, working, X, y, count);

        public void Dispose()
        {
            y.Dispose(); X.Dispose(); working.Dispose(); optimizer.Dispose(); Net.Dispose();
        }
    }

    /// <summary>Milliseconds of each of <paramref name="iterations"/> training steps on a fixed batch.</summary>
    static double[] TimeSteps(nn.Module<Tensor, Tensor> net, MomentumSgd optimizer, MixedPrecision working, Tensor x, Tensor y, int iterations)
    {
        var steps = new double[iterations];
        for (var i = 0; i < iterations; i++)
        {
            var sw = Stopwatch.StartNew();
            Trainer.Step(net, optimizer, x, y, 0.01, working);
            if (x.device.type != DeviceType.CPU) cuda.synchronize();
            steps[i] = sw.Elapsed.TotalMilliseconds;
        }
        return steps;
    }

    /// <summary>
    /// ResNet-20 training throughput of this engine (float32 and bfloat16, in its layout) and of PyTorch
    /// (environment/bench/pytorch_resnet20.py: same model, batch, optimizer and threads) as the reference script is
    /// written (NCHW float32), channels-last, and channels-last with bfloat16 autocast — its fastest on a CPU. Measured
    /// side by side: <paramref name="rounds"/> rounds, each timing every configuration once for
    /// <paramref name="iterations"/> steps, so all see the same machine load. Medians of the round medians; the
    /// ratios divide each of ours by each of PyTorch's within a round, and take the median over the rounds. A <c>precision</c> times only that precision (ours, and PyTorch's
    /// configurations in it); null times both — on a CPU without native BF16 a bf16 step is emulated and takes seconds.
    /// </summary>
    public static PyTorchComparison ComparePyTorch(int batch = 128, int iterations = 20, int threads = 2, int rounds = 3,
                                                   string python = "/usr/bin/python3", IProgress<string>? progress = null,
                                                   bool? channelsLast = null, Precision? precision = null)
    {
        var script = PyTorchScript(python);
        TorchRuntime.Initialize(DeviceChoice.Cpu, threads, seed: 0);
        using var rig = new StepRig("resnet20", batch, CPU, channelsLast, Precision.Fp32);
        Precision[] ours = precision is { } only ? [only] : [Precision.Fp32, Precision.Bf16];
        (bool ChannelsLast, bool Bf16)[] all = [(false, false), (true, false), (true, true)];
        var theirs = all.Where(c => precision is null || c.Bf16 == (precision == Precision.Bf16)).ToArray();
        var times = new double[ours.Length + theirs.Length][];
        for (var i = 0; i < times.Length; i++) times[i] = new double[rounds];
        var version = "?";
        for (var r = 0; r < rounds; r++)
        {
            for (var o = 0; o < ours.Length; o++)
            {
                progress?.Report($"round {r + 1}/{rounds}: TorchSharp {ours[o].ToString().ToLowerInvariant()}");
                rig.Net.Precision = ours[o];
                rig.Steps(3);   // warm-up: kernels for this precision
                times[o][r] = batch / Stats.Median(rig.Steps(iterations)) * 1000;
            }
            for (var t = 0; t < theirs.Length; t++)
            {
                progress?.Report($"round {r + 1}/{rounds}: PyTorch {LayoutName(theirs[t].ChannelsLast)} {(theirs[t].Bf16 ? "bf16" : "fp32")}");
                (times[ours.Length + t][r], version) = RunPyTorch(python, script, threads, batch, iterations, theirs[t].ChannelsLast, theirs[t].Bf16);
            }
        }
        var rows = ours.Select((p, o) => new CompareRow("TorchSharp", rig.Net.LayoutName(DeviceType.CPU), p.ToString().ToLowerInvariant(), Stats.Median(times[o]), times[o]))
            .Concat(theirs.Select((c, t) => new CompareRow($"PyTorch {version}", LayoutName(c.ChannelsLast), c.Bf16 ? "bf16" : "fp32",
                                                          Stats.Median(times[ours.Length + t]), times[ours.Length + t])))
            .ToList();
        var (ratios, roundRatios) = PairedRatios(rows.Take(ours.Length).ToList(), rows.Skip(ours.Length).ToList());
        return new PyTorchComparison(rounds, iterations, batch, threads, version, rows, ratios, roundRatios);
    }

    /// <summary>
    /// Each of <paramref name="ours"/> divided by each of <paramref name="theirs"/>, round by round, and the median of
    /// those per-round ratios, keyed "ours / theirs" (see <see cref="PyTorchComparison.Ratios"/>).
    /// </summary>
    public static (Dictionary<string, double> Median, Dictionary<string, double[]> Rounds) PairedRatios(
        IReadOnlyList<CompareRow> ours, IReadOnlyList<CompareRow> theirs)
    {
        var median = new Dictionary<string, double>();
        var perRound = new Dictionary<string, double[]>();
        foreach (var a in ours)
            foreach (var b in theirs)
            {
                if (a.Rounds.Length != b.Rounds.Length) throw new ArgumentException($"{a.Label} has {a.Rounds.Length} rounds, {b.Label} {b.Rounds.Length}");
                var key = $"{a.Label} / {b.Label}";
                perRound[key] = [.. a.Rounds.Zip(b.Rounds, (x, y) => x / y)];
                median[key] = Stats.Median(perRound[key]);
            }
        return (median, perRound);
    }

    static (double ImgPerS, string Version) RunPyTorch(string python, string script, int threads, int batch, int iterations, bool channelsLast, bool bf16)
    {
        var info = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { script, "--threads", threads.ToString(), "--batch", batch.ToString(), "--iters", iterations.ToString(), "--json" }) info.ArgumentList.Add(a);
        if (channelsLast) info.ArgumentList.Add("--channels-last");
        if (bf16) info.ArgumentList.Add("--bf16");
        using var p = Process.Start(info)!;
        var output = p.StandardOutput.ReadToEnd();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0 && NoTorch(python, error) is { } missing) throw missing;
        if (p.ExitCode != 0) throw new InvalidOperationException($"{script} failed (exit {p.ExitCode}): {error.Trim()}");
        using var json = JsonDocument.Parse(output);
        return (json.RootElement.GetProperty("train_img_per_s").GetDouble(), json.RootElement.GetProperty("torch").GetString() ?? "?");
    }

    /// <summary>environment/bench/pytorch_resnet20.py, after checking that <paramref name="python"/> exists.</summary>
    internal static string PyTorchScript(string python)
    {
        if (!File.Exists(python)) throw new FileNotFoundException($"{python} not found: the PyTorch reference needs Debian's python3-torch (apt-get install -y python3-torch)", python);
        return Path.Combine(RepoPaths.Root, "environment", "bench", "pytorch_resnet20.py");
    }

    /// <summary>The error to throw when the reference script failed because <paramref name="python"/> has no torch; else null.</summary>
    internal static Exception? NoTorch(string python, string stderr) => stderr.Contains("No module named 'torch'")
        ? new InvalidOperationException($"{python} has no torch module: the PyTorch reference needs Debian's python3-torch (apt-get install -y python3-torch)")
        : null;

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
        return x.shape[0] / Stats.Median(times);
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
        return batch / Stats.Median(times);
    }

}
