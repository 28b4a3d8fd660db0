using TorchSharp;
using ResNetLab.Models;
using ResNetLab.Runtime;
using static TorchSharp.torch;
using Zoo = ResNetLab.Models.Models;

namespace ResNetLab.Tests.Models;

/// <summary>Guards on the numbers libtorch gives our models (ENVIRONMENT Traps 2 and 5).</summary>
public class NumericsTests
{
    public NumericsTests() => Torch.Up();

    static (Tensor[] Grads, Tensor InputGrad) Gradients(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y)
    {
        model.zero_grad();
        var input = x.clone().requires_grad_(true);
        nn.functional.cross_entropy(model.call(input), y).backward();
        return (model.parameters().Select(p => p.grad!.clone()).ToArray(), input.grad!.clone());
    }

    [Fact]
    public void Resnet20_gradients_are_the_same_with_one_and_two_threads()
    {
        // Trap 5: oneDNN's conv backward once returned NaN/wrong grad_input with 2 threads, intermittently. (The same
        // check caught wrong BN-backward gradients with 2 threads when the model ran in channels-last layout.)
        using var scope = NewDisposeScope();
        var threads = get_num_threads();
        try
        {
            random.manual_seed(5);
            using var model = Zoo.Create("resnet20");
            model.train();
            var x = randn(16, 3, 32, 32);
            var y = randint(0, 10, [16]);
            set_num_threads(1);
            var (reference, referenceInput) = Gradients(model, x, y);
            set_num_threads(2);
            for (var repeat = 0; repeat < 4; repeat++)
            {
                var (grads, inputGrad) = Gradients(model, x, y);
                AssertSame(inputGrad, referenceInput, "input");
                foreach (var ((name, _), g, r) in model.named_parameters().Zip(grads, reference)) AssertSame(g, r, name);
            }
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    // Summation order differs between thread counts: ~1e-5 of the largest entry at batch 128. Wrong kernels were off
    // by 1e-3 to 1e-2 (or NaN), so the bound sits between the two.
    static void AssertSame(Tensor actual, Tensor expected, string what)
    {
        Assert.True(actual.isfinite().all().item<bool>(), $"{what}: gradient with 2 threads is not finite");
        var error = ((actual - expected).abs().max() / expected.abs().max()).item<float>();
        Assert.True(error <= 1e-4, $"{what}: 2-thread gradient differs from 1-thread by {error:E2} of its largest entry");
    }

    [Fact]
    public void Gradients_agree_with_finite_differences_on_a_tiny_model()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(11);
        using var model = new CifarResNet(n: 1, shortcut: ShortcutOption.B, numClasses: 3);
        model.to(float64);
        model.train();
        var x = randn(3, 3, 8, 8, dtype: float64);
        var w = randn(3, 3, dtype: float64);
        Tensor Loss() => (model.call(x) * w).sum();

        model.zero_grad();
        Loss().backward();
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        const double eps = 1e-6;
        foreach (var name in new[] { "conv1.weight", "layer1.0.conv2.weight", "layer2.0.shortcut.0.weight", "layer3.0.bn1.weight", "linear.weight" })
        {
            var p = parameters[name];
            var flat = p.detach().view(-1);
            foreach (var i in new long[] { 0, flat.numel() / 2, flat.numel() - 1 })
            {
                double Probe(double delta)
                {
                    using var _ = no_grad();
                    var old = flat[i].item<double>();
                    flat[i] = old + delta;
                    var loss = Loss().item<double>();
                    flat[i] = old;
                    return loss;
                }
                var numeric = (Probe(eps) - Probe(-eps)) / (2 * eps);
                var analytic = p.grad!.view(-1)[i].item<double>();
                Assert.True(Math.Abs(numeric - analytic) <= 1e-6 + 1e-4 * Math.Abs(numeric),
                            $"{name}[{i}]: autograd {analytic}, finite difference {numeric}");
            }
        }
    }

    [Fact]
    public void The_nuget_libtorch_is_loaded_not_a_system_one()
    {
        // Trap 2: Debian's python3-torch puts libtorch 1.13 in /usr/lib; TorchRuntime preloads ours by full path.
        Assert.StartsWith("2.10", TorchRuntime.Info().LibTorchVersion);
        var mapped = File.ReadLines("/proc/self/maps").Where(l => l.EndsWith("/libtorch_cpu.so")).Select(l => l[(l.IndexOf('/'))..]).Distinct().ToList();
        var path = Assert.Single(mapped);
        Assert.DoesNotContain("/usr/lib", path);
    }
}
