using ResNetLab.Analysis;
using ResNetLab.Charts;
using ResNetLab.Models;
using ResNetLab.Notebooks.Reports;
using ResNetLab.Training;

namespace ResNetLab.Tests.Analysis;

/// <summary>Notebooks 07 and 09: their plans reuse the runs of 02/05, and their facts follow the numbers both ways.</summary>
public class BeyondPaperFindingsTests
{
    static LesionSeries Series(string label, bool residual, double intact, params double[] errors) =>
        new(label, residual, intact, errors.Select((e, i) => new BlockLesion($"layer1.{i}", i + 1, i == 1, e)).ToList());

    static PathProfile Profile(int n, Func<int, double> gradient) =>
        new("resnet", n, Enumerable.Range(0, n + 1).Select(k => new PathLength(k, Lesions.PathFraction(n, k), gradient(k), 1)).ToList());

    [Fact]
    public void Lesion_facts_tell_a_surviving_resnet_from_a_collapsing_plain_net()
    {
        var random = new RandomLesionSeries("resnet", 10, [new(1, [11, 12]), new(5, [20]), new(10, [28])]);
        var facts = Findings.Lesions([Series("resnet", true, 10, 11, 30, 12, 11), Series("plain", false, 12, 89, 90, 91, 60)],
                                     random, Profile(20, k => Math.Pow(0.5, k)));
        Assert.True(facts.ResNetSurvives);                  // median 11.5: 1.5 of 80 points towards chance
        Assert.Equal("layer1.1", facts.ResNet.WorstBlock);
        Assert.True(facts.ResNet.WorstChangesShape);
        Assert.True(facts.PlainCollapses);                  // median 89.5 ≥ 80
        Assert.Equal(3, facts.Plain.NearChance);
        Assert.Equal(10, facts.RandomLargestK);
        Assert.Equal(28, facts.RandomErrorAtLargestK);
        Assert.Equal(8.5, facts.RandomLargestStepPoints, 9);  // 11.5 → 20
        Assert.True(facts.RandomSmooth);                    // 8.5 of an 18-point rise
        Assert.Equal(0.5, facts.DecayPerBlock, 9);          // the gradient halves per branch passed
        Assert.True(facts.EffectivePathsShorter);           // C(20,k)/2²⁰ · 2⁻ᵏ peaks near k = 20/3, not 10
        Assert.InRange(facts.EffectiveMeanLength, 6.5, 6.9);
        Assert.True(facts.EffectiveFrom < facts.EffectiveTo && facts.EffectiveTo < 12);

        var flat = Findings.Lesions([Series("resnet", true, 10, 80, 85), Series("plain", false, 12, 20, 30)],
                                    new RandomLesionSeries("resnet", 10, [new(1, [11]), new(2, [80])]), Profile(20, _ => 1));
        Assert.False(flat.ResNetSurvives);
        Assert.False(flat.PlainCollapses);
        Assert.False(flat.RandomSmooth);                    // one step carries 69 of 70 points
        Assert.Equal(10, flat.EffectiveMeanLength, 9);      // equal gradients: the binomial's own mean
        Assert.False(flat.EffectivePathsShorter);
        Assert.True(facts.Measurable && flat.Measurable);

        var untrained = Findings.Lesions([Series("resnet", true, 89, 89, 90), Series("plain", false, 12, 89, 90)], random, Profile(4, _ => 1));
        Assert.False(untrained.Measurable);                 // a ResNet at chance can neither survive nor collapse
    }

    [Fact]
    public void Landscape_facts_measure_range_curvature_and_the_interpolation()
    {
        double[] grid = [-1, 0, 1];
        LossSurface Surface(string label, double scale) =>
            new(label, grid, grid, grid.Select(y => (IReadOnlyList<double>)grid.Select(x => scale * (x * x + y * y) + 1).ToList()).ToList());
        var line = new LossLine("x", "init", [-0.5, 0, 0.5, 1, 1.5], [3, 2.3, 2.5, 1, 1.4], [0, 0, 0, 0, 0]);
        var plain = Findings.Slice(Surface("plain", 5), [[0.6]], line);
        // the centre check: the plane's centre is the trained net when its loss is the trained loss
        var centred = Findings.Slice(new LandscapeResult("plain", line, line, new PlaneResult(Surface("plain", 5), [[new SliceCurvature(-0.6, 1)]], 0, 0), TrainedLoss: 1));
        Assert.True(centred.CentreIsTrained);
        Assert.False(Findings.Slice(new LandscapeResult("plain", line, line, new PlaneResult(Surface("plain", 5), [[new SliceCurvature(-0.6, 1)]], 0, 0), TrainedLoss: 1.2)).CentreIsTrained);
        Assert.Null(plain.CentreIsTrained);
        Assert.Equal(plain with { TrainedLoss = 1 }, centred);
        var resnet = Findings.Slice(Surface("resnet", 1), [[0.0]], line);
        Assert.Equal(1, plain.CentreLoss);
        Assert.Equal(10, plain.Range, 12);
        Assert.Equal(1, plain.NonConvexFraction);
        Assert.Equal(0, resnet.NonConvexFraction);
        Assert.Equal(1, plain.InterpolationRises);          // 2.3 → 2.5 inside α ∈ [0, 1]; 1 → 1.4 is outside
        Assert.Equal(2.3, plain.InitialLoss);
        var facts = Findings.Landscape(plain, resnet);
        Assert.True(facts.RougherByRange && facts.RougherByCurvature);
        var reversed = Findings.Landscape(resnet, plain);
        Assert.False(reversed.RougherByRange || reversed.RougherByCurvature);
    }

    [Fact]
    public void The_plans_reuse_notebook_02_and_05_runs_and_scale_their_analysis_with_the_budget()
    {
        foreach (var b in new[] { Budget.Smoke, Budget.Quick })
        {
            var degradation = Experiments.Degradation(b).AllRuns.Select(r => Experiment.Resolve(r).Hash).ToHashSet();
            Assert.Subset(degradation, Experiments.Lesions(b).AllRuns.Select(r => Experiment.Resolve(r).Hash).ToHashSet());
            Assert.Subset(degradation, Experiments.LossLandscape(b).AllRuns.Select(r => Experiment.Resolve(r).Hash).ToHashSet());
        }
        var full = Experiments.Lesions(Budget.Full);
        Assert.Equal(Experiment.Resolve(Experiments.VeryDeep(Budget.Full).ResNet110[0]).Hash, Experiment.Resolve(full.Residual).Hash);
        Assert.Equal(("plain110", 110), (full.Plain.Model, full.Plain.Spec.Depth));
        Assert.Equal(["plain56", "resnet56"], Experiments.LossLandscape(Budget.Full).AllRuns.Select(r => r.Model));
        Assert.Equal(51, Experiments.LossLandscape(Budget.Full).GridPoints);
        Assert.Equal(50_000, Experiments.LossLandscape(Budget.Full).Images);
        var (smoke, quick) = (Experiments.LossLandscape(Budget.Smoke), Experiments.LossLandscape(Budget.Quick));
        Assert.True(smoke.ImagesPerNet < quick.ImagesPerNet && quick.ImagesPerNet < Experiments.LossLandscape(Budget.Full).ImagesPerNet);
        Assert.Contains(Experiments.LossLandscape(Budget.Full).ImagesPerNet.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), Experiments.LossLandscape(Budget.Full).Analysis["cost"]);
        Assert.True(Experiments.Lesions(Budget.Smoke).Images < Experiments.Lesions(Budget.Quick).Images);
        Assert.Contains("lesions", Experiments.All(Budget.Smoke).Keys);
        Assert.Contains("loss-landscape", Experiments.All(Budget.Smoke).Keys);
        // `resnet sweep --plan lesions --budget full` trains the one new run with ResNet-110 (shared with very-deep)
        Assert.Equal(["plain110", "resnet110"], new ResNetLab.Sweeps.SweepRequest("lesions", null, Budget.Full, null).Runs().Select(r => r.Model).Order());
    }

    [Fact]
    public void Notebooks_07_and_09_call_their_plans_and_train_nothing_after_02()
    {
        var notebooks = new[] { "02-degradation", "07-lesion-study", "09-loss-landscape" }.Select(n => Path.Combine(TestPaths.Root, "notebooks", n + ".ipynb"));
        var runs = TestPaths.TempDir("plan07");
        try
        {
            var plans = NotebookPlans.Make(notebooks, Budget.Smoke, runs, TrainingEstimate.FromRuns(runs, _ => 1e6, () => 1));
            Assert.IsType<LesionPlan>(Assert.Single(NotebookPlans.PlansOf(notebooks.ElementAt(1), Budget.Smoke)));
            Assert.IsType<LossLandscapePlan>(Assert.Single(NotebookPlans.PlansOf(notebooks.ElementAt(2), Budget.Smoke)));
            Assert.All(plans.Skip(1), p => Assert.All(p.Runs, r => Assert.Equal(PlannedAction.ReuseFromEarlierNotebook, r.Action)));
        }
        finally { Directory.Delete(runs, true); }
    }
}
