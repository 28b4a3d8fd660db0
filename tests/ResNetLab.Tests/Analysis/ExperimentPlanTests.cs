using ResNetLab.Analysis;
using ResNetLab.Models;
using ResNetLab.Training;

namespace ResNetLab.Tests.Analysis;

public class ExperimentPlanTests
{
    [Fact]
    public void Full_budget_trains_all_of_fig6_and_smaller_budgets_the_extremes()
    {
        var full = Experiments.Degradation(Budget.Full);
        Assert.Equal(["plain20", "plain32", "plain44", "plain56"], full.Plain.Select(r => r.Model));
        Assert.Equal(["resnet20", "resnet32", "resnet44", "resnet56"], full.Residual.Select(r => r.Model));
        Assert.All(full.AllRuns, r => Assert.Equal(64_000, r.ResolvedRecipe.Iterations));
        var quick = Experiments.Degradation(Budget.Quick);
        Assert.Equal(["plain20", "plain56"], quick.Plain.Select(r => r.Model));
        Assert.Throws<ArgumentException>(() => Budget.Parse("huge"));
    }

    [Fact]
    public void Shared_runs_have_identical_configs_so_they_train_once()
    {
        foreach (var budget in Budget.All)
        {
            var layer = Experiments.LayerResponses(budget).Runs.Select(r => Experiment.Resolve(r).Hash).ToHashSet();
            var trained = Experiments.Degradation(budget).AllRuns.Concat(Experiments.VeryDeep(budget).ResNet110)
                .Select(r => Experiment.Resolve(r).Hash).ToHashSet();
            Assert.Subset(trained, layer);
        }
    }

    [Fact]
    public void Resnet1202_below_full_is_a_labelled_short_schedule()
    {
        var smoke = Experiments.VeryDeep(Budget.Smoke);
        var r1202 = Assert.Single(smoke.ResNet1202);
        Assert.Equal(16, r1202.ResolvedRecipe.BatchSize);
        Assert.Equal(smoke.ResNet1202Batch, r1202.ResolvedRecipe.BatchSize);
        Assert.Contains("custom", r1202.RunName);             // the run's name says it is not the paper's schedule
        Assert.Equal(5, Experiments.VeryDeep(Budget.Full).ResNet110.Select(r => r.Seed).Distinct().Count());
        Assert.Equal(TrainingRecipe.Paper.BatchSize, Experiments.VeryDeep(Budget.Full).ResNet1202[0].ResolvedRecipe.BatchSize);
    }

    [Fact]
    public void Bottleneck_pair_has_similar_cost()
    {
        foreach (var budget in new[] { Budget.Quick, Budget.Full })
        {
            var models = Experiments.Bottleneck(budget).Runs.Select(r => ModelZoo.Create(r.Model)).ToList();
            Assert.Equal([BlockKind.Basic, BlockKind.Bottleneck], models.Select(m => m.Block));
            var macs = models.Select(m => Complexity.Measure(m, m.InputSize).MultiplyAdds).ToList();
            foreach (var m in models) m.Dispose();
            var ratio = (double)macs[1] / macs[0];
            Assert.InRange(ratio, 0.8, 1.6);
        }
    }

    [Theory]
    [InlineData("resnet38", 38, true, BlockKind.Basic)]
    [InlineData("plain14", 14, false, BlockKind.Basic)]
    [InlineData("resnet29-bottleneck", 29, true, BlockKind.Bottleneck)]
    public void Any_cifar_depth_is_a_name(string name, int depth, bool residual, BlockKind block)
    {
        using var model = ModelZoo.Create(name);
        Assert.Equal(depth, model.Depth);
        Assert.Equal(residual, model.IsResidual);
        Assert.Equal(block, model.Block);
    }

    [Theory]
    [InlineData("resnet21")]
    [InlineData("plain29-bottleneck")]
    [InlineData("resnet30-bottleneck")]
    public void Impossible_depths_are_refused_with_the_rule(string name)
    {
        var e = Assert.Throws<ArgumentException>(() => ModelZoo.Create(name));
        Assert.Contains("6n+2", e.Message);
    }
}

/// <summary>Notebooks 08 and 10 reuse the runs of 02–06 wherever the configuration is the same.</summary>
public class BeyondThePaperPlanTests
{
    [Fact]
    public void Gradient_flow_measures_the_layer_response_runs_and_trains_nothing_new()
    {
        foreach (var budget in Budget.All)
        {
            var plan = Experiments.GradientFlow(budget);
            Assert.Equal(Experiments.LayerResponses(budget).Runs.Select(r => r.Hash), plan.Runs.Select(r => r.Hash));
            Assert.Equal(["plain20", "plain56", "resnet20", "resnet56", "resnet110"], plan.Runs.Select(r => r.Model));
            Assert.True(plan.LinePoints >= 2 && plan.Lines >= 1 && plan.BatchImages >= plan.Lines);
        }
        Assert.True(Experiments.GradientFlow(Budget.Full).LinePoints > Experiments.GradientFlow(Budget.Quick).LinePoints);
        Assert.True(Experiments.GradientFlow(Budget.Quick).LinePoints > Experiments.GradientFlow(Budget.Smoke).LinePoints);
        Assert.Equal([20, 56, 110], Experiments.GradientFlow(Budget.Quick).LineDepths);
        Assert.Contains("gradient-flow", Experiments.All(Budget.Smoke).Keys);
    }

    [Fact]
    public void Pre_activation_pairs_each_original_run_with_its_twin_at_the_same_budget_seed_and_warmup()
    {
        foreach (var budget in Budget.All)
        {
            var plan = Experiments.PreActivation(budget);
            Assert.Equal(Experiments.VeryDeep(budget).ResNet110[0].Hash, plan.Original[0].Hash);   // notebook 05's seed-0 run, reused
            Assert.Equal(plan.Original.Count, plan.PreActivation.Count);
            foreach (var (o, p) in plan.Original.Zip(plan.PreActivation))
            {
                Assert.True(p.Spec.PreActivation);
                Assert.Equal(o.Spec.Depth, p.Spec.Depth);
                Assert.Equal((o.Budget, o.Seed, o.ResolvedRecipe), (p.Budget, p.Seed, p.ResolvedRecipe));
                Assert.Equal(WarmupRule.Of(o.Warmup, o.Spec.Depth, o.ResolvedRecipe), WarmupRule.Of(p.Warmup, p.Spec.Depth, p.ResolvedRecipe));
                Assert.NotNull(WarmupRule.Of(p.Warmup, p.Spec.Depth, p.ResolvedRecipe));   // 110 and 164 layers: §4.2's warm-up (a ramp at short budgets)
            }
            Assert.Equal("preact-resnet1001", plan.NotTrained.Model);
            Assert.Equal(TrainingRecipe.Paper.Iterations, plan.NotTrained.ResolvedRecipe.Iterations);
            Assert.DoesNotContain(plan.AllRuns, r => r.Model == "preact-resnet1001");
            Assert.Contains("preactivation", Experiments.All(budget).Keys);
        }
        Assert.Equal(["preact-resnet110"], Experiments.PreActivation(Budget.Quick).PreActivation.Select(r => r.Model));
        var full = Experiments.PreActivation(Budget.Full);
        Assert.Equal(["resnet110", "resnet164"], full.Original.Select(r => r.Model));
        Assert.Equal(["preact-resnet110", "preact-resnet164"], full.PreActivation.Select(r => r.Model));
        Assert.Equal(Experiments.Bottleneck(Budget.Full).Runs.Single(r => r.Model == "resnet164").Hash, full.Original[1].Hash);   // notebook 04's
    }
}
