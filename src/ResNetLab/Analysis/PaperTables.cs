using Microsoft.Data.Analysis;
using ResNetLab.Models;
using ResNetLab.Paper;

namespace ResNetLab.Analysis;

/// <summary>
/// Tables that put what the code builds (measured from the real modules) beside the paper's numbers
/// (<see cref="PaperNumbers"/>). Notebooks display these; tests hold them.
/// </summary>
public static class PaperTables
{
    /// <summary>Table 6, parameter column: our option-A CIFAR nets vs the paper's rounded millions.</summary>
    public static DataFrame CifarParameters()
    {
        var rows = PaperNumbers.Table6.Select(t => (Paper: t, Info: ModelZoo.Info(t.Model),
            Plain: ModelZoo.Info(ModelZoo.PlainTwin(t.Model).Name))).ToList();
        return new DataFrame(
            new StringDataFrameColumn("model", rows.Select(r => r.Paper.Model)),
            new Int32DataFrameColumn("layers", rows.Select(r => r.Paper.Depth)),
            new Int64DataFrameColumn("parameters (ours)", rows.Select(r => r.Info.Parameters)),
            new Int64DataFrameColumn("plain twin", rows.Select(r => r.Plain.Parameters)),
            new StringDataFrameColumn("ours (M)", rows.Select(r => (r.Info.Parameters / 1e6).ToString($"F{r.Paper.ParamsDecimals}", System.Globalization.CultureInfo.InvariantCulture) + "M")),
            new StringDataFrameColumn("Table 6", rows.Select(r => r.Paper.ParamsMillions.ToString($"F{r.Paper.ParamsDecimals}", System.Globalization.CultureInfo.InvariantCulture) + "M")),
            new DoubleDataFrameColumn("Table 6 test error (%)", rows.Select(r => r.Paper.TestErrorPercent)));
    }

    /// <summary>Table 1, last row: multiply-adds of the ImageNet nets at 224×224 vs the paper (and VGG-19).</summary>
    public static DataFrame ImageNetComplexity()
    {
        var infos = ModelZoo.List("resnet*").Where(i => i.Family == ModelFamily.ImageNet).ToList();
        return new DataFrame(
            new StringDataFrameColumn("model", infos.Select(i => i.Name)),
            new StringDataFrameColumn("block", infos.Select(i => i.Block.ToString().ToLowerInvariant())),
            new DoubleDataFrameColumn("parameters (M)", infos.Select(i => Math.Round(i.Parameters / 1e6, 1))),
            new DoubleDataFrameColumn("multiply-adds ×10⁹ (ours)", infos.Select(i => Math.Round(i.MultiplyAdds / 1e9, 2))),
            new DoubleDataFrameColumn("Table 1 ×10⁹", infos.Select(i => PaperNumbers.Table1MultiplyAddsBillions.TryGetValue(i.Name, out var v) ? v : double.NaN)),
            new DoubleDataFrameColumn("share of VGG-19 (19.6)", infos.Select(i => Math.Round(i.MultiplyAdds / 1e9 / PaperNumbers.Vgg19MultiplyAddsBillions, 3))));
    }

    /// <summary>Ours vs Table 1 as chart rows (×10⁹ multiply-adds).</summary>
    public static IReadOnlyList<Comparison> ImageNetMultiplyAddsComparison() =>
        ModelZoo.List("resnet*").Where(i => i.Family == ModelFamily.ImageNet)
            .Select(i => new Comparison(i.Name, i.MultiplyAdds / 1e9, PaperNumbers.Table1MultiplyAddsBillions.TryGetValue(i.Name, out var v) ? v : null))
            .Append(new Comparison("vgg19", double.NaN, PaperNumbers.Vgg19MultiplyAddsBillions))
            .ToList();

    /// <summary>Ours vs Table 6 as chart rows (millions of parameters).</summary>
    public static IReadOnlyList<Comparison> CifarParametersComparison() =>
        PaperNumbers.Table6.Select(t => new Comparison(t.Model, ModelZoo.Info(t.Model).Parameters / 1e6, t.ParamsMillions)).ToList();

    /// <summary>
    /// §3.3 / Table 3: what shortcut options B and C cost on the given networks — parameters and multiply-adds added
    /// over option A — with Table 3's ImageNet top-1 errors where the paper gives them.
    /// </summary>
    public static DataFrame ShortcutOptionCosts(params string[] models)
    {
        var rows = new List<(string Model, ShortcutOption Option, ModelInfo Info, long AddedParams, long AddedMacs, double? Top1)>();
        foreach (var m in models)
        {
            var a = ModelZoo.Info(m, ShortcutOption.A);
            foreach (var o in new[] { ShortcutOption.A, ShortcutOption.B, ShortcutOption.C })
            {
                var i = ModelZoo.Info(m, o);
                var paper = PaperNumbers.Table3.FirstOrDefault(t => t.Model == m && t.Option == o);
                rows.Add((m, o, i, i.Parameters - a.Parameters, i.MultiplyAdds - a.MultiplyAdds, paper?.Top1ErrorPercent));
            }
        }
        return new DataFrame(
            new StringDataFrameColumn("model", rows.Select(r => r.Model)),
            new StringDataFrameColumn("option", rows.Select(r => r.Option.ToString())),
            new Int64DataFrameColumn("parameters", rows.Select(r => r.Info.Parameters)),
            new Int64DataFrameColumn("added vs A", rows.Select(r => r.AddedParams)),
            new DoubleDataFrameColumn("added vs A (%)", rows.Select(r => Math.Round(100.0 * r.AddedParams / (r.Info.Parameters - r.AddedParams), 2))),
            new Int64DataFrameColumn("multiply-adds", rows.Select(r => r.Info.MultiplyAdds)),
            new DoubleDataFrameColumn("Table 3 top-1 (%)", rows.Select(r => r.Top1 ?? double.NaN)));
    }

    /// <summary>
    /// Fig. 5: a basic block on 64-d maps vs a bottleneck block on 256-d maps (the paper's "similar time complexity"
    /// pair), measured at 56×56, the conv2_x resolution of the ImageNet nets.
    /// </summary>
    public static DataFrame BlockCosts()
    {
        using var basic = new BasicBlock(64, 64, 1, ShortcutOption.B, "downsample");
        using var bottleneck = new BottleneckBlock(256, 64, 1, ShortcutOption.B, "downsample", strideOn3x3: false);
        var b = Complexity.Measure(basic, 56, 64);
        var n = Complexity.Measure(bottleneck, 56, 256);
        return new DataFrame(
            new StringDataFrameColumn("block (Fig. 5)", ["basic: 3×3,64 → 3×3,64 (on 64-d)", "bottleneck: 1×1,64 → 3×3,64 → 1×1,256 (on 256-d)"]),
            new Int64DataFrameColumn("parameters", [b.Parameters, n.Parameters]),
            new Int64DataFrameColumn("multiply-adds at 56×56", [b.MultiplyAdds, n.MultiplyAdds]));
    }
}
