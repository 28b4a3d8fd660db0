using ResNetLab.Analysis;
using ResNetLab.Training;

namespace ResNetLab.Notebooks;

/// <summary>Notebook 09: filter-normalised loss-landscape slices (Li et al., NeurIPS 2018) of this notebook's trained runs.</summary>
public sealed partial class Lab
{
    /// <summary>The interpolation from initialisation, a random line and a random plane around the run's trained weights, at the plan's sizes.</summary>
    public LandscapeResult Landscape(RunResult run, LossLandscapePlan plan) =>
        LandscapeStudy.Measure(run, plan.Images, plan.GridPoints, plan.Range, plan.LinePoints, plan.Seed, DataDir);

    /// <summary>bf16 against fp32 on a few points of a random line of the run: speed here, and how much the loss moves.</summary>
    public PrecisionCheck LandscapePrecision(RunResult run, LossLandscapePlan plan) =>
        LandscapeStudy.ComparePrecision(run, plan.Images, plan.Range, points: 5, plan.Seed, DataDir);
}
