using ResNetLab.Analysis;
using ResNetLab.Charts;
using ResNetLab.Training;

namespace ResNetLab.Notebooks;

/// <summary>Notebook 07: the lesion study and the path view of Veit et al. (NeurIPS 2016) on this notebook's trained runs.</summary>
public sealed partial class Lab
{
    /// <summary>Fig. 3: delete each block of each run in turn; error on the plan's test images.</summary>
    public IReadOnlyList<LesionSeries> DeleteEachBlock(IEnumerable<RunResult> runs, LesionPlan plan) =>
        LesionStudy.SingleBlocks(runs.ToList(), plan.Images, DataDir);

    /// <summary>Fig. 5 (a): delete k random blocks of the run, for the plan's k and draws.</summary>
    public RandomLesionSeries DeleteRandomBlocks(RunResult run, LesionPlan plan) =>
        LesionStudy.RandomBlocks(run, plan.Images, plan.DeleteCounts, plan.Draws, plan.Seed, DataDir);

    /// <summary>Fig. 6: the gradient reaching the input through sampled paths of every length of the run.</summary>
    public PathProfile PathGradients(RunResult run, LesionPlan plan) =>
        LesionStudy.PathGradients(run, plan.PathImages, plan.PathSamples, plan.Seed, DataDir);
}
