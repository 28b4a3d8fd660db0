using ResNetLab.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNetLab.Tests.Models;

/// <summary>
/// Mixed precision (bfloat16 activations and convolutions, float32 master weights and BN statistics), held against
/// float64 op by op — the bf16 counterpart of NumericsTests' Trap 5 guard — and against float32 on whole networks.
/// </summary>
public class BFloat16Tests
{
    public BFloat16Tests() => Torch.Up();

    public static TheoryData<string, int> LayerShapes()
    {
        var data = new TheoryData<string, int>();
        foreach (var shape in new[] { "conv 3-16 s1 32", "conv 16-16 s1 32", "conv 16-32 s2 32", "conv 32-64 s2 16", "conv 64-64 s1 8",
                                      "proj 16-32 s2 32", "bn 16 32", "bn 64 8" })
            foreach (var threads in new[] { 1, 2 })
                data.Add(shape, threads);
        return data;
    }

    [Theory]
    [MemberData(nameof(LayerShapes))]
    public void Each_bf16_layer_matches_float64_on_the_same_rounded_inputs(string shape, int threads)
    {
        // The reference is the float64 op on the bf16-rounded input and weight, so what remains is the kernel's own
        // error: the bf16 rounding of its output (2⁻⁸ ≈ 0.4 % of an entry) and float32 accumulation. A faulty kernel
        // (NaN, a wrong tile) is far beyond 2 % of the largest entry; repeats catch intermittent faults.
        using var scope = NewDisposeScope();
        var before = get_num_threads();
        try
        {
            set_num_threads(threads);
            random.manual_seed(17);
            var p = shape.Split(' ');
            var x = randn(32, long.Parse(p[0] == "bn" ? p[1] : p[1].Split('-')[0]), long.Parse(p[^1]), long.Parse(p[^1]))
                .to(ScalarType.BFloat16).permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);   // channels-last, as training runs
            Func<Tensor, Tensor> op;
            nn.Module layer;
            if (p[0] == "bn")
            {
                var bn = nn.BatchNorm2d(long.Parse(p[1]));
                using (no_grad()) { bn.weight!.uniform_(0.5, 1.5); bn.bias!.uniform_(-0.2, 0.2); }
                (layer, op) = (bn, t => bn.call(t));
            }
            else
            {
                var io = p[1].Split('-').Select(long.Parse).ToArray();
                var stride = long.Parse(p[2][1..]);
                var conv = p[0] == "proj" ? nn.Conv2d(io[0], io[1], 1, stride: stride, bias: false) : nn.Conv2d(io[0], io[1], 3, stride: stride, padding: 1, bias: false);
                using (no_grad()) conv.weight!.copy_(conv.weight.to(ScalarType.BFloat16).to(ScalarType.Float32));   // exactly representable in bf16
                (layer, op) = (conv, t => Conv.Run(conv, t));
            }
            using var _ = layer;
            layer.train();

            Tensor[] Run(bool reference)
            {
                layer.zero_grad();
                if (reference) layer.to(float64); else layer.to(float32);
                var input = (reference ? x.to(float64) : x).detach().requires_grad_(true);
                var output = op(input);
                Assert.Equal(reference ? float64 : ScalarType.BFloat16, output.dtype);
                (output.to(float64) * output.detach().to(float64).cos()).sum().backward();
                var w = layer.parameters().First();
                return [output.to(float64), input.grad!.to(float64), w.grad!.to(float64)];
            }
            var expected = Run(reference: true);
            for (var repeat = 0; repeat < 3; repeat++)
            {
                var got = Run(reference: false);
                Assert.Equal(float32, layer.parameters().First().dtype);   // the master weight stays float32
                foreach (var (what, i) in new[] { ("output", 0), ("input gradient", 1), ("weight gradient", 2) })
                {
                    Assert.True(got[i].isfinite().all().item<bool>(), $"{shape}, {threads} threads: bf16 {what} not finite");
                    var error = ((got[i] - expected[i]).abs().max() / expected[i].abs().max()).item<double>();
                    Assert.True(error <= 2e-2, $"{shape}, {threads} threads: bf16 {what} off float64 by {error:E2} of its largest entry");
                }
            }
        }
        finally
        {
            set_num_threads(before);
        }
    }

    [Theory]
    [InlineData(ShortcutOption.A)]
    [InlineData(ShortcutOption.B)]
    public void A_bf16_network_trains_like_its_float32_self(ShortcutOption shortcut)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(23);
        using var model = ModelZoo.Create("resnet14", shortcut);
        model.train();
        var x = randn(32, 3, 32, 32);
        var y = randint(0, 10, [32]);
        (Tensor Logits, Tensor[] Grads) Pass(Precision precision)
        {
            model.Precision = precision;
            model.zero_grad();
            var logits = model.call(x);
            nn.functional.cross_entropy(logits, y).backward();
            return (logits.detach(), model.parameters().Select(g => g.grad!.clone()).ToArray());
        }
        var (fp32, fp32Grads) = Pass(Precision.Fp32);
        var (bf16, bf16Grads) = Pass(Precision.Bf16);
        Assert.Equal(float32, bf16.dtype);   // the loss is computed in float32
        Assert.All(model.parameters(), p => Assert.Equal(float32, p.dtype));
        var logitError = ((bf16 - fp32).abs().max() / fp32.abs().max()).item<float>();
        Assert.True(logitError < 0.05, $"bf16 logits off float32 by {logitError:E2} of the largest");
        // The gradient points the same way in both precisions (cosine similarity): the whole vector closely, each
        // parameter loosely (BN's γ/β gradients are sums over the batch, where bf16 rounding of activations shows most;
        // a broken cast path gives cosines near 0).
        static float Cosine(Tensor a, Tensor b) => ((a * b).sum() / (a.norm() * b.norm() + 1e-30)).item<float>();
        var overall = Cosine(cat(fp32Grads.Select(g => g.flatten()).ToArray()), cat(bf16Grads.Select(g => g.flatten()).ToArray()));
        Assert.True(overall > 0.98, $"bf16 gradient cosine {overall:F4} with float32 over all parameters");
        foreach (var ((name, _), a, b) in model.named_parameters().Zip(fp32Grads, bf16Grads))
            Assert.True(Cosine(a, b) > 0.85, $"{name}: bf16 gradient cosine {Cosine(a, b):F3} with float32");
    }
}
