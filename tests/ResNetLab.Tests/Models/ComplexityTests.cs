using ResNetLab.Analysis;
using ResNetLab.Models;

namespace ResNetLab.Tests.Models;

public class ComplexityTests
{
    public ComplexityTests() => Torch.Up();

    [Fact]
    public void Resnet20_layers_are_traced_with_shapes_and_costs()
    {
        using var model = ModelZoo.Create("resnet20");
        model.train();
        var report = Complexity.Measure(model, 32);
        Assert.True(model.training); // restored after the eval-mode trace

        var stem = report.Layers[0];
        Assert.Equal("conv1", stem.Name);
        Assert.Equal(new long[] { 16, 32, 32 }, stem.OutputShape);
        Assert.Equal(3L * 16 * 9 * 32 * 32, stem.MultiplyAdds);
        Assert.Equal(3L * 16 * 9, stem.Parameters);

        // 19 convs + 1 fc carry multiply-adds; each of the 19 BNs is listed with its γ/β.
        Assert.Equal(20, report.Layers.Count(l => l.MultiplyAdds > 0));
        Assert.Equal(19, report.Layers.Count(l => l.Kind == "BatchNorm2d"));
        Assert.Equal(report.Parameters, report.Layers.Sum(l => l.Parameters));

        // Independent count: 3×3 convs at 32²/16²/8² with 16/32/64 filters (stride-2 convs output the smaller map), fc 64×10.
        long expected = 3L * 16 * 9 * 1024 + 6 * (16L * 16 * 9 * 1024)
                      + 16L * 32 * 9 * 256 + 5 * (32L * 32 * 9 * 256)
                      + 32L * 64 * 9 * 64 + 5 * (64L * 64 * 9 * 64) + 64 * 10;
        Assert.Equal(expected, report.MultiplyAdds);

        var frame = report.ToDataFrame();
        Assert.Equal(report.Layers.Count, frame.Rows.Count);
        Assert.Equal("linear", frame["Layer"][frame.Rows.Count - 1]);
        Assert.Equal(report.MultiplyAdds, (long)frame["MultiplyAdds"].Sum());
    }

    [Fact]
    public void List_reports_family_option_and_measured_size()
    {
        var rows = ModelZoo.List("resnet2*");
        var r20 = Assert.Single(rows);
        Assert.Equal(("resnet20", ModelFamily.Cifar, 20, BlockKind.Basic, ShortcutOption.A, 269_722L),
                     (r20.Name, r20.Family, r20.Depth, r20.Block, r20.Shortcut, r20.Parameters));
        Assert.True(r20.MultiplyAdds > 40_000_000);
        Assert.Contains("plain1202", ModelZoo.Names("plain*"));
        Assert.Equal(ShortcutOption.B, ModelZoo.List("resnet20", ShortcutOption.B).Single().Shortcut);
    }
}
