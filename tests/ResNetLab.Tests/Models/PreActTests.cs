using ResNetLab.Models;
using static TorchSharp.torch;

namespace ResNetLab.Tests.Models;

/// <summary>Pre-activation blocks compute BN → ReLU → conv twice and add the shortcut with no ReLU after (ECCV 2016, Fig. 4e).</summary>
public class PreActTests
{
    public PreActTests() => Torch.Up();

    [Theory]
    [InlineData(16, 16, 1)]   // identity shortcut
    [InlineData(16, 32, 2)]   // 1×1 projection of x
    public void A_basic_pre_activation_block_is_its_formula(long inChannels, long planes, long stride)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(41);
        using var block = new PreActBlock(inChannels, planes, stride, BlockKind.Basic);
        block.eval();
        var p = block.named_parameters().ToDictionary(n => n.name, n => n.parameter);
        var buffers = block.named_buffers().ToDictionary(n => n.name, n => n.buffer);
        using (no_grad())
            foreach (var (name, t) in p.Where(kv => kv.Key.StartsWith("bn")))
                t.uniform_(0.5, 1.5);   // non-trivial γ and β
        var x = randn(2, inChannels, 16, 16);
        Tensor Bn(string n, Tensor t) => nn.functional.batch_norm(t, buffers[$"{n}.running_mean"], buffers[$"{n}.running_var"], p[$"{n}.weight"], p[$"{n}.bias"]);
        var f = nn.functional.conv2d(Bn("bn2", nn.functional.conv2d(Bn("bn1", x).relu(), p["conv1.weight"], strides: [stride, stride], padding: [1, 1])).relu(),
                                     p["conv2.weight"], padding: [1, 1]);
        var shortcut = stride == 1 && inChannels == planes ? x : nn.functional.conv2d(x, p["downsample.0.weight"], strides: [stride, stride]);
        using var _ = no_grad();
        var error = (block.call(x) - (f + shortcut)).abs().max().item<float>();
        Assert.True(error < 1e-5, $"pre-activation block differs from BN-ReLU-conv ×2 + shortcut by {error}");
    }

    [Fact]
    public void A_pre_activation_net_trains_a_step()
    {
        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create("preact-resnet164");
        model.train();
        var loss = nn.functional.cross_entropy(model.call(randn(4, 3, 32, 32)), randint(0, 10, [4]));
        loss.backward();
        Assert.True(double.IsFinite(loss.item<float>()));
        Assert.All(model.parameters(), q => Assert.True(q.grad is not null && q.grad.isfinite().all().item<bool>()));
    }
}
