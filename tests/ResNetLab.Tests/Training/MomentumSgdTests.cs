using ResNetLab.Models;
using ResNetLab.Runtime;
using ResNetLab.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNetLab.Tests.Training;

public class MomentumSgdTests
{
    public MomentumSgdTests() => TorchRuntime.Initialize(DeviceChoice.Cpu);

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
        using var sgd = new MomentumSgd(ours.named_parameters().Select(p => (p.name, p.parameter)), 0.9, 1e-4);
        using var reference = optim.SGD(theirs.parameters(), 0.1, momentum: 0.9, weight_decay: 1e-4);
        for (var step = 0; step < 4; step++)
        {
            var lr = step < 2 ? 0.1 : 0.01;
            Trainer.Step(ours, sgd, x, y, lr);
            foreach (var g in reference.ParamGroups) g.LearningRate = lr;
            reference.zero_grad();
            nn.functional.cross_entropy(theirs.call(x), y).backward();
            reference.step();
        }
        foreach (var ((name, a), (_, b)) in ours.named_parameters().Zip(theirs.named_parameters()))
            Assert.True(a.allclose(b, rtol: 1e-5, atol: 1e-6), $"{name} differs from torch.optim.SGD");
        Assert.Equal(ours.parameters().Count(), sgd.MomentumBuffers.Count);
    }
}
