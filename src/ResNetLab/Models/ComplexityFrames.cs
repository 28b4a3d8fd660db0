using Microsoft.Data.Analysis;

namespace ResNetLab.Models;

/// <summary>Complexity reports as DataFrames, for notebooks (the core has no DataFrame dependency).</summary>
public static class ComplexityFrames
{
    /// <summary>Per-layer view for notebooks: name, kind, output shape, parameters, multiply-adds.</summary>
    public static DataFrame ToDataFrame(this ComplexityReport report) => new(
        new StringDataFrameColumn("Layer", report.Layers.Select(l => l.Name)),
        new StringDataFrameColumn("Kind", report.Layers.Select(l => l.Kind)),
        new StringDataFrameColumn("Output", report.Layers.Select(l => l.OutputText)),
        new Int64DataFrameColumn("Parameters", report.Layers.Select(l => l.Parameters)),
        new Int64DataFrameColumn("MultiplyAdds", report.Layers.Select(l => l.MultiplyAdds)));
}
