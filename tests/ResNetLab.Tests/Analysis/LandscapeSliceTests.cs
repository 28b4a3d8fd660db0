using ResNetLab.Analysis;
using ResNetLab.Charts;
using ResNetLab.Models;
using static TorchSharp.torch;

namespace ResNetLab.Tests.Analysis;

/// <summary>Li et al. (NeurIPS 2018) slices: the grid, its centre, the Hessian of the slice, the interpolation line.</summary>
public class LandscapeSliceTests
{
    public LandscapeSliceTests() => Models.Torch.Up();

    static LossSurface Quadratic(double a, double b, double c, double[] grid) =>
        new("q", grid, grid, grid.Select(y => (IReadOnlyList<double>)grid.Select(x => a * x * x + 2 * b * x * y + c * y * y + 0.3 * x - 0.1 * y + 2).ToList()).ToList());

    [Theory]
    [InlineData(1.0, 0.0, 0.5, 1.0, 2.0, 0.0)]      // convex bowl: H = diag(2, 1), ratio 0
    [InlineData(1.0, 0.0, -0.25, -0.5, 2.0, 0.25)]  // saddle: λ = −0.5, 2 → |λmin/λmax| = 0.25
    [InlineData(0.5, 1.0, 0.5, -1.0, 3.0, 1.0 / 3)] // rotated saddle: [[1, 2], [2, 1]] → −1, 3
    [InlineData(-1.0, 0.0, 0.25, -2.0, 0.5, 1.0)]   // negative curvature dominates: capped at 1
    public void The_slice_hessian_is_exact_on_a_quadratic(double a, double b, double c, double min, double max, double ratio)
    {
        var curvature = LandscapeSlices.Curvature(Quadratic(a, b, c, LandscapeSlices.Symmetric(5, 1)));
        Assert.Equal(3, curvature.Count);
        Assert.All(curvature.SelectMany(r => r), k =>
        {
            Assert.Equal(min, k.Min, 9);
            Assert.Equal(max, k.Max, 9);
            Assert.Equal(ratio, k.Ratio, 9);
        });
    }

    [Fact]
    public void An_odd_grid_has_exactly_zero_in_the_middle()
    {
        Assert.Equal(0.0, LandscapeSlices.Symmetric(51, 1)[25]);
        Assert.Equal(0.0, LandscapeSlices.Symmetric(13, 0.7)[6]);
        Assert.Equal([-0.5, 0, 0.5, 1, 1.5], LandscapeSlices.Span(5, -0.5, 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => LandscapeSlices.Symmetric(1, 1));
    }

    [Fact]
    public void The_planes_centre_is_the_trained_loss_and_the_model_returns_to_it()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(11);
        using var model = ModelZoo.Create("resnet8");
        model.eval();
        var batches = new List<(Tensor, Tensor)> { (randn(6, 3, 32, 32), randint(0, 10, [6])), (randn(4, 3, 32, 32), randint(0, 10, [4])) };
        var trained = LandscapeSlices.Evaluate(model, batches).Loss;
        var origin = LossLandscape.Snapshot(model);
        var d1 = LossLandscape.FilterNormalizedDirection(model, 1);
        var d2 = LossLandscape.FilterNormalizedDirection(model, 2);
        var plane = LandscapeSlices.Plane(model, origin, d1, d2, LandscapeSlices.Symmetric(3, 1), batches, "resnet8");
        Assert.Equal(trained, plane.Surface.Loss[1][1]);
        Assert.NotEqual(trained, plane.Surface.Loss[0][2]);
        Assert.Equal(9 * 10, plane.ImagesEvaluated);
        Assert.Single(plane.Curvature);
        Assert.Equal(trained, LandscapeSlices.Evaluate(model, batches).Loss);   // back at the origin
        // a corner is the model moved there by hand
        LossLandscape.MoveTo(model, origin, (1, d1), (-1, d2));
        Assert.Equal(LandscapeSlices.Evaluate(model, batches).Loss, plane.Surface.Loss[0][2], 6);
    }

    [Fact]
    public void The_line_between_two_weight_sets_ends_on_each_and_batch_statistics_leave_bn_untouched()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(12);
        using var model = ModelZoo.Create("resnet8");
        model.eval();
        var batches = new List<(Tensor, Tensor)> { (randn(8, 3, 32, 32), randint(0, 10, [8])) };
        var a = LossLandscape.Snapshot(model);
        using (no_grad()) foreach (var p in model.parameters()) p.mul_(0.5).add_(0.01);
        var b = LossLandscape.Snapshot(model);
        var atB = LandscapeSlices.Evaluate(model, batches).Loss;
        LossLandscape.MoveTo(model, a);
        var atA = LandscapeSlices.Evaluate(model, batches).Loss;
        var line = LandscapeSlices.Line(model, a, LandscapeSlices.Between(a, b), [0, 1], batches, "resnet8", "a → b");
        Assert.Equal(atA, line.Loss[0]);
        Assert.Equal(atB, line.Loss[1], 5);

        var statistics = model.named_buffers().Select(x => x.buffer.clone()).ToList();
        var withBatchStats = LandscapeSlices.Evaluate(model, batches, batchStatistics: true);
        Assert.NotEqual(atA, withBatchStats.Loss);   // BN normalised with the batch's own statistics
        Assert.All(model.named_buffers().Zip(statistics), p => Assert.True(p.First.buffer.eq(p.Second).all().item<bool>(), p.First.name));
        Assert.False(model.training);
    }

    [Fact]
    public void The_precision_check_compares_the_same_points_and_leaves_fp32()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(13);
        using var model = ModelZoo.Create("resnet8");
        model.eval();
        var batches = new List<(Tensor, Tensor)> { (randn(8, 3, 32, 32), randint(0, 10, [8])) };
        var origin = LossLandscape.Snapshot(model);
        var d = LossLandscape.FilterNormalizedDirection(model, 3);
        var check = LandscapeSlices.ComparePrecision(model, origin, d, [-1, 0, 1], batches);
        Assert.Equal(3, check.Points);
        Assert.True(check.Fp32ImagesPerSecond > 0 && check.Bf16ImagesPerSecond > 0);
        Assert.InRange(check.MaxLossDifference, 1e-7, 0.5);   // bf16 rounds, but the loss stays close
        Assert.Equal(Precision.Fp32, model.Precision);
    }
}
