using Microsoft.Data.Analysis;
using Plotly.NET;
using ResNetLab.Analysis;
using ResNetLab.Charts;
using ResNetLab.Models;
using ResNetLab.Models.Pretrained;
using ResNetLab.Training;

namespace ResNetLab.Notebooks;

/// <summary>
/// The fully trained reference nets (akamaster's ResNet-20/32/44/56 in data/pretrained) where the papers speak of
/// trained nets: the module itself, the same net as something the studies measure, and Table 6's ladder.
/// </summary>
public sealed partial class Lab
{
    /// <summary>The fully trained <paramref name="model"/> (e.g. "resnet56"), in eval mode; verified by its sha256 before it is read.</summary>
    public ResNetModel Pretrained(string model) => ReferenceNets.Load(model);

    /// <summary>The fully trained <paramref name="model"/> as a net the studies measure (layer responses, lesions, landscapes), labelled as the reference.</summary>
    public TrainedNet Reference(string model) => TrainedNets.Reference(ReferenceNets.Get(model));

    /// <summary>Every fully trained reference net (ResNet-20/32/44/56), shallow to deep, as nets the studies measure.</summary>
    public IReadOnlyList<TrainedNet> References() => ReferenceNets.All.Select(n => TrainedNets.Reference(n)).ToList();

    /// <summary>
    /// Every reference net's test error on this notebook's data, measured once and kept in runs/reference-nets/: the
    /// whole test set, except at smoke (the budget's test images, CI-sized).
    /// </summary>
    public IReadOnlyList<ReferenceResult> ReferenceLadder() =>
        Analysis.ReferenceLadder.Measure(DataDir, Budget.Name == Training.Budget.Smoke.Name ? Budget.EvalImages : null, RunsDir);

    /// <summary>Table 6's ladder: the paper, the files' claims, the reference nets measured here and the student's runs, by depth.</summary>
    public DataFrame LadderTable(IReadOnlyList<ReferenceResult> references, IEnumerable<RunResult> runs) =>
        Analysis.ReferenceLadder.Table(references, Finals(runs));

    /// <summary>The ladder as a chart: test error against depth (log scale with <paramref name="logDepth"/>), every line saying whose numbers it is.</summary>
    public GenericChart LadderChart(IReadOnlyList<ReferenceResult> references, IEnumerable<RunResult> runs, string title, bool logDepth = false) =>
        Figures.Lines(Analysis.ReferenceLadder.Lines(references, Finals(runs), DataLabel), title, Subtitle, "depth (layers)", "test error (%)", logX: logDepth);
}
