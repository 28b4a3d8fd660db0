using ResNetLab.Models;
using ResNetLab.Runtime;
using ResNetLab.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNetLab.Tests.Training;

public class MomentumSgdTests
{
    public MomentumSgdTests() => TorchRuntime.Initialize(DeviceChoice.Cpu);

    // Weight decay 5e-3 (50× the paper's) over 6 steps: decay applied outside the momentum buffer — a plausible bug —
    // then misses torch.optim.SGD by far more than the tolerance (see the test's margin message), not by ~1.3× as at 1e-4.
    const double Decay = 5e-3;
    const int Steps = 6;

    [Fact]
    public void Updates_match_torch_sgd_with_momentum_and_weight_decay_across_a_rate_change()
    {
        using var scope = NewDisposeScope();
        using var ours = ModelZoo.Create("resnet8");
        using var theirs = ModelZoo.Create("resnet8");
        using (no_grad())
            foreach (var ((_, a), (_, b)) in ours.named_parameters().Zip(theirs.named_parameters())) b.copy_(a);
        var x = randn(16, 3, 32, 32);
        var y = randint(0, 10, [16]);
        using var sgd = new MomentumSgd(ours.named_parameters().Select(p => (p.name, p.parameter)), 0.9, Decay);
        using var reference = optim.SGD(theirs.parameters(), 0.1, momentum: 0.9, weight_decay: Decay);
        for (var step = 0; step < Steps; step++)
        {
            var lr = step < 3 ? 0.1 : 0.01;
            Trainer.Step(ours, sgd, x, y, lr);
            foreach (var g in reference.ParamGroups) g.LearningRate = lr;
            reference.zero_grad();
            nn.functional.cross_entropy(theirs.call(x), y).backward();
            reference.step();
        }
        // allclose's own measure: |a − b| / (atol + rtol·|b|) ≤ 1 everywhere.
        var worst = ours.named_parameters().Zip(theirs.named_parameters())
            .Select(p => (Name: p.First.name, Ratio: (p.First.parameter - p.Second.parameter).abs().div(p.Second.parameter.abs().mul(1e-5).add(1e-6)).max().item<float>()))
            .MaxBy(p => p.Ratio);
        Assert.True(worst.Ratio <= 1, $"{worst.Name} differs from torch.optim.SGD by {worst.Ratio:F1}× the tolerance");
        Assert.Equal(ours.parameters().Count(), sgd.MomentumBuffers.Count);
    }
}
