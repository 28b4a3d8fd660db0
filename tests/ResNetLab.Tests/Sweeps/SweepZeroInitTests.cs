using ResNetLab.Models;
using ResNetLab.Sweeps;
using ResNetLab.Training;

namespace ResNetLab.Tests.Sweeps;

/// <summary>A zero-init sweep: every residual run of the plan starts its branches at zero, its plain twins keep the paper's init.</summary>
public class SweepZeroInitTests
{
    [Fact]
    public void Zero_init_applies_to_the_residual_runs_of_a_plan_only_and_names_the_sweep()
    {
        var paper = new SweepRequest("degradation", null, Budget.Parse("3200"), Seeds: 2) { Precision = Precision.Bf16 };
        var zero = paper with { ZeroInitResidual = true };
        var runs = zero.Runs();
        Assert.Equal(paper.Runs().Count, runs.Count);
        Assert.All(runs, r => Assert.Equal(r.Spec.Residual, r.ZeroInitResidual));
        Assert.Contains(runs, r => !r.Spec.Residual);
        Assert.Equal(paper.Runs().Where(r => !r.Spec.Residual).Select(r => r.Hash), runs.Where(r => !r.Spec.Residual).Select(r => r.Hash));
        Assert.Contains(runs, r => r.RunName == "resnet56-A-cifar10-3200it-zeroinit-bf16-s1");
        Assert.Equal("degradation-3200it-zeroinit-bf16", zero.Label);
        Assert.Equal("degradation-3200it-bf16", paper.Label);
    }
}
