using ResNetLab.Analysis;
using ResNetLab.Charts;
using ResNetLab.Training;

namespace ResNetLab.Notebooks;

/// <summary>
/// Notebook 07: the lesion study and the path view of Veit et al. (NeurIPS 2016) on trained nets — this notebook's
/// runs, or a fully trained reference net (<see cref="Reference"/>); a run converts to a <see cref="TrainedNet"/>.
/// </summary>
public sealed partial class Lab
{
    /// <summary>Fig. 3: delete each block of each run in turn; error on the plan's test images.</summary>
    public IReadOnlyList<LesionSeries> DeleteEachBlock(IEnumerable<RunResult> runs, LesionPlan plan) =>
        DeleteEachBlock(TrainedNets.Of(runs.ToList()), plan);

    /// <summary>Fig. 3: delete each block of each net in turn; error on the plan's test images.</summary>
    public IReadOnlyList<LesionSeries> DeleteEachBlock(IEnumerable<TrainedNet> nets, LesionPlan plan) =>
        LesionStudy.SingleBlocks(nets.ToList(), plan.Images, DataDir);

    /// <summary>Fig. 5 (a): delete k random blocks of the net, for the plan's k and draws.</summary>
    public RandomLesionSeries DeleteRandomBlocks(TrainedNet net, LesionPlan plan) =>
        LesionStudy.RandomBlocks(net, plan.Images, plan.DeleteCounts, plan.Draws, plan.Seed, DataDir);

    /// <summary>Fig. 6: the gradient reaching the input through sampled paths of every length of the net.</summary>
    public PathProfile PathGradients(TrainedNet net, LesionPlan plan) =>
        LesionStudy.PathGradients(net, plan.PathImages, plan.PathSamples, plan.Seed, DataDir);
}
