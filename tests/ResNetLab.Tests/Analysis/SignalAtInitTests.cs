using ResNetLab.Analysis;
using ResNetLab.Data;
using ResNetLab.Runtime;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ResNetLab.Tests.Analysis;

/// <summary>Notebook 02's *Why deep nets start slow*: the signal block by block at initialisation, the paper's init vs zero-init.</summary>
[Collection(Training.GlobalRngCollection.Name)]
public class SignalAtInitTests(ITestOutputHelper output)
{
    [Fact]
    public void Paper_init_branches_grow_the_signal_with_depth_and_zero_init_ones_add_nothing()
    {
        TorchRuntime.Initialize(DeviceChoice.Cpu);
        var data = CifarData.Load(TestPaths.Cifar10);   // real images, normalised as a run normalises them
        var (x, y) = GradientFlowAnalysis.FixedBatch(data, Normalization.PerPixelMean(data.TrainImages), 32);
        using (x)
        using (y)
        {
            var nets = SignalAtInit.Measure(["resnet20", "resnet56"], x, seed: 0);
            foreach (var n in nets) output.WriteLine($"{n.Label}: growth {n.Growth:F2}; std {string.Join(" ", n.StreamStd.Select(s => s.ToString("F2")))}");
            Assert.Equal(["resnet20 · paper init", "resnet20 · zero-init", "resnet56 · paper init", "resnet56 · zero-init"], nets.Select(n => n.Label));
            Assert.Equal([9, 9, 27, 27], nets.Select(n => n.Blocks.Count));
            var (p20, z20, p56, z56) = (nets[0], nets[1], nets[2], nets[3]);
            Assert.All(z20.BranchOverShortcut.Concat(z56.BranchOverShortcut), r => Assert.Equal(0, r));   // γ = 0: the branch is exactly zero
            Assert.All(p56.BranchOverShortcut, r => Assert.True(r > 0.05, $"a paper-init branch adds {r:F3} of its shortcut"));
            // within the first stage (no downsampling) every paper-init block adds variance; a zero-init block passes the signal on
            Assert.True(p56.StreamStd.Take(9).Zip(p56.StreamStd.Skip(1).Take(8)).All(p => p.Second > p.First), "paper-init ResNet-56, stage 1");
            Assert.All(z56.StreamStd.Skip(1).Take(8), s => Assert.Equal(z56.StreamStd[0], s, 5));
            Assert.True(p56.Growth > p20.Growth && p20.Growth > z20.Growth, $"growth: ResNet-56 {p56.Growth:F2}, ResNet-20 {p20.Growth:F2}, zero-init {z20.Growth:F2}");
            var p110 = SignalAtInit.Measure(["resnet110"], x, seed: 0)[0];   // notebook 02's exercise 5
            output.WriteLine($"{p110.Label}: growth {p110.Growth:F2}");
            Assert.True(p110.Growth > p56.Growth, $"ResNet-110 {p110.Growth:F2} vs ResNet-56 {p56.Growth:F2}");
            Assert.Contains("plain", Assert.Throws<ArgumentException>(() => SignalAtInit.Measure(["plain20"], x)).Message);
            var lines = SignalAtInit.StreamLines(nets);
            Assert.Equal([false, true, false, true], lines.Select(l => l.Dashed));
            Assert.Equal([0, 0, 1, 1], lines.Select(l => l.ColorIndex));
        }
    }
}
