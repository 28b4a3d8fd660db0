using ResNetLab.Analysis;
using ResNetLab.Training;

namespace ResNetLab.Notebooks;

/// <summary>
/// Notebook 09: filter-normalised loss-landscape slices (Li et al., NeurIPS 2018) of trained nets — this notebook's
/// runs, or a fully trained reference net (<see cref="Reference"/>; it has no line from initialisation).
/// </summary>
public sealed partial class Lab
{
    /// <summary>The interpolation from initialisation (runs only), a random line and a random plane around the net's trained weights, at the plan's sizes.</summary>
    public LandscapeResult Landscape(TrainedNet net, LossLandscapePlan plan) =>
        LandscapeStudy.Measure(net, plan.Images, plan.GridPoints, plan.Range, plan.LinePoints, plan.Seed, DataDir);

    /// <summary>bf16 against fp32 on a few points of a random line of the net: speed here, and how much the loss moves.</summary>
    public PrecisionCheck LandscapePrecision(TrainedNet net, LossLandscapePlan plan) =>
        LandscapeStudy.ComparePrecision(net, plan.Images, plan.Range, points: 5, plan.Seed, DataDir);
}
