using System.Diagnostics;
using ResNetLab.Runtime;
using static TorchSharp.torch;
using Zoo = ResNetLab.Models.Models;

// dotnet run -c Release --project bench/ModelBench -- [model] [batch] [steps] [threads]
// Median wall time of one SGD step (forward, cross-entropy, backward, update) on random input of the model's size.
// Tried and dropped: channels-last (NHWC) weights/inputs were ~20 % faster but libtorch 2.10 then gave wrong
// gradients with 2 threads (ResNet-20, layer1.1 BN backward; 1 thread was right), the Trap 5 kind of failure.
var name = args.ElementAtOrDefault(0) ?? "resnet20";
var batch = int.Parse(args.ElementAtOrDefault(1) ?? "128");
var steps = int.Parse(args.ElementAtOrDefault(2) ?? "20");
var threads = int.Parse(args.ElementAtOrDefault(3) ?? "2");
TorchRuntime.Initialize(DeviceChoice.Cpu, threads: threads, seed: 0);

using var model = Zoo.Create(name);
model.train();
var optimizer = optim.SGD(model.parameters(), 0.1, momentum: 0.9, weight_decay: 1e-4);
var x = randn(batch, 3, model.InputSize, model.InputSize);
var y = randint(0, model.NumClasses, [batch]);
var (forwardBackward, step) = (new List<double>(), new List<double>());
for (var i = 0; i < steps + 3; i++)
{
    var sw = Stopwatch.StartNew();
    using (var scope = NewDisposeScope())
    {
        optimizer.zero_grad();
        var loss = nn.functional.cross_entropy(model.call(x), y);
        loss.backward();
        var fb = sw.Elapsed.TotalMilliseconds;
        optimizer.step();
        if (i < 3) continue;  // the first steps warm up oneDNN primitives
        forwardBackward.Add(fb);
        step.Add(sw.Elapsed.TotalMilliseconds);
    }
}
string Summary(List<double> t)
{
    t.Sort();
    var median = t[t.Count / 2];
    return $"median {median:F1} ms ({batch * 1000 / median:F0} img/s), min {t[0]:F1}, max {t[^1]:F1}";
}
Console.WriteLine($"{name} batch {batch} threads {threads}\n  forward+backward: {Summary(forwardBackward)}\n  SGD step:         {Summary(step)}");
