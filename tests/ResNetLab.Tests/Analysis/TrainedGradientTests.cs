using ResNetLab.Analysis;
using ResNetLab.Data;
using ResNetLab.Models;
using ResNetLab.Models.Pretrained;
using static TorchSharp.torch;

namespace ResNetLab.Tests.Analysis;

/// <summary>Notebook 08's end of training: gradients of a fully trained reference net on the fixed batch (issue 22).</summary>
public class TrainedGradientTests
{
    [Fact]
    public void A_fully_trained_net_is_measured_with_its_own_normalisation_on_the_fixed_batch_and_left_unchanged()
    {
        Tests.Models.Torch.Up();
        const int images = 64;
        var reference = TrainedNets.Reference(ReferenceNets.Get("resnet20"));
        var trained = Assert.Single(TrainedGradientStudy.Measure([reference], images, TestPaths.Cifar10));
        Assert.True(trained.IsReference);
        Assert.Equal(20, trained.Layers.Count);   // 19 convs and the classifier of ResNet-20 (option A: no projection)
        Assert.Equal("conv1.weight", trained.Layers[0].Layer);

        // measured with the net's own normalisation (ImageNet mean/std), on the first training images
        var data = CifarData.Load(TestPaths.Cifar10);
        var net = ReferenceNets.Get("resnet20");
        using var direct = ReferenceNets.Load(net);
        var (x, y) = GradientFlowAnalysis.FixedBatch(data, net.InputNormalization, images);
        var expected = GradientFlow.Measure(direct, x, y);
        foreach (var (got, want) in trained.Layers.Zip(expected))
            Assert.True(Math.Abs(got.GradientNorm - want.GradientNorm) <= 1e-4 * want.GradientNorm, $"{got.Layer}: {got.GradientNorm} vs {want.GradientNorm}");
        var (px, py) = GradientFlowAnalysis.FixedBatch(data, Normalization.PerPixelMean(data.TrainImages), images);
        var otherNormalisation = GradientFlow.Measure(direct, px, py);
        Assert.True(trained.Layers.Zip(otherNormalisation).Any(p => Math.Abs(p.First.GradientNorm - p.Second.GradientNorm) > 1e-2 * p.Second.GradientNorm),
            "the paper's per-pixel mean gives other gradients: the measurement must use the net's own normalisation");
        // what notebook 08's text says of a fully trained ResNet: first and last conv within an order of magnitude
        Assert.InRange(trained.FirstOverLastConv, 0.1, 10);

        // measuring changes nothing: weights and BN statistics as loaded
        var (model, normalization) = reference.Load();
        using (model)
        {
            var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
            var (bx, by) = GradientFlowAnalysis.FixedBatch(data, normalization, images);
            GradientFlow.Measure(model, bx, by);
            foreach (var (name, value) in model.state_dict()) Assert.True(before[name].eq(value).all().item<bool>(), $"{name} changed");
            Assert.False(model.training);
        }
    }

    [Fact]
    public void The_last_snapshot_of_each_run_is_labelled_yours_with_its_iteration()
    {
        GradientFlow.LayerGradient G(double g) => new("conv1.weight", g, 1);
        var series = new GradientFlowSeries("plain20", "plain20", 20, false, ["conv1.weight"], [0, 10, 40],
            [[G(3)], [G(2)], [G(1)]], [0.1, 0.1, 0.1]);
        var last = Assert.Single(TrainedGradientStudy.LastSnapshots([series]));
        Assert.Equal("plain20 · yours, iteration 40", last.Label);
        Assert.Equal(1, last.Layers[0].GradientNorm);
        Assert.False(last.IsReference);
        var line = Assert.Single(TrainedGradientStudy.RatioByLayer([last]));
        Assert.True(line.Dashed);   // plain nets dashed, as in every chart of notebook 08
    }
}
