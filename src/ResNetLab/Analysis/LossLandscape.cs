using ResNetLab.Models;
using static TorchSharp.torch;

namespace ResNetLab.Analysis;

/// <summary>
/// Loss-landscape slices (Li, Xu, Taylor, Studer, Goldstein, "Visualizing the Loss Landscape of Neural Nets",
/// NeurIPS 2018): the loss at θ + α·d₁ (+ β·d₂) for random directions d normalised filter by filter, so that the
/// picture does not depend on the scale invariance BN gives each filter.
/// </summary>
public static class LossLandscape
{
    /// <summary>
    /// A random Gaussian direction in weight space, filter-normalised: each filter (one output channel of a conv, one
    /// row of the classifier) is rescaled to the norm of the same filter in the model. BN's γ and β and every bias get
    /// a zero direction, as Li et al. do ("ignore BN"): they stay at their trained values along the slice.
    /// </summary>
    public static Dictionary<string, Tensor> FilterNormalizedDirection(ResNetModel model, long seed)
    {
        using var _ = no_grad();
        using var generator = new TorchSharp.torch.Generator((ulong)seed);
        var direction = new Dictionary<string, Tensor>();
        foreach (var (name, p) in model.named_parameters())
        {
            if (p.dim() <= 1) { direction[name] = zeros_like(p).DetachFromDisposeScope(); continue; }   // BN γ/β, biases
            var d = randn(p.shape, generator: generator, dtype: p.dtype, device: p.device);
            var flatD = d.flatten(1);
            var flatW = p.flatten(1);
            var scale = flatW.norm(1, keepdim: true) / (flatD.norm(1, keepdim: true) + 1e-10);
            direction[name] = (flatD * scale).reshape(p.shape).DetachFromDisposeScope();
        }
        return direction;
    }

    /// <summary>Copies of the model's parameters (θ₀), to return to and to move from.</summary>
    public static Dictionary<string, Tensor> Snapshot(ResNetModel model)
    {
        using var _ = no_grad();
        return model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone().DetachFromDisposeScope());
    }

    /// <summary>Set the parameters to origin + Σ coefficientᵢ · directionᵢ (in place, no autograd).</summary>
    public static void MoveTo(ResNetModel model, IReadOnlyDictionary<string, Tensor> origin,
                              params (double Coefficient, IReadOnlyDictionary<string, Tensor> Direction)[] steps)
    {
        using var _ = no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            p.copy_(origin[name]);
            foreach (var (c, d) in steps) p.add_(d[name], alpha: c);
        }
    }
}

/// <summary>
/// Per-layer gradient flow (notebook 08): ‖∂L/∂W‖ and ‖∂L/∂W‖ / ‖W‖ of every conv and the classifier on one batch —
/// where gradients vanish or explode with depth, and why very deep plain nets (and ResNet-110 at lr 0.1) start badly.
/// </summary>
public static class GradientFlow
{
    /// <summary>One weighted layer's gradient on a batch.</summary>
    /// <param name="Layer">Parameter name, e.g. layer2.0.conv1.weight.</param>
    /// <param name="GradientNorm">‖∂L/∂W‖ (Frobenius).</param>
    /// <param name="WeightNorm">‖W‖.</param>
    public sealed record LayerGradient(string Layer, double GradientNorm, double WeightNorm)
    {
        /// <summary>The relative size of an SGD step on this layer per unit learning rate.</summary>
        public double Ratio => GradientNorm / WeightNorm;
    }

    /// <summary>
    /// ‖∂L/∂W‖ of the first conv over that of the last conv, from layers in forward order (NaN with fewer than two convs):
    /// ≫ 1 gradients grow towards the input, ≪ 1 they shrink.
    /// </summary>
    public static double FirstOverLastConv(IReadOnlyList<LayerGradient> layers)
    {
        var convs = layers.Where(l => l.Layer.Contains("conv", StringComparison.Ordinal)).ToList();
        return convs.Count < 2 ? double.NaN : convs[0].GradientNorm / convs[^1].GradientNorm;
    }

    /// <summary>
    /// Gradients of the mean cross-entropy on (x, y) in training mode (batch statistics, as training sees them), in
    /// forward order. The model is left as it was: no gradient kept, BN running statistics restored.
    /// </summary>
    public static IReadOnlyList<LayerGradient> Measure(ResNetModel model, Tensor x, Tensor y)
    {
        var wasTraining = model.training;
        var buffers = model.named_buffers().Select(b => (b.buffer, Copy: b.buffer.detach().clone())).ToList();
        model.train();
        try
        {
            using var scope = NewDisposeScope();
            model.zero_grad();
            nn.functional.cross_entropy(model.call(x), y).backward();
            var result = model.named_parameters().Where(p => p.parameter.dim() >= 2)
                .Select(p => new LayerGradient(p.name, p.parameter.grad!.norm().item<float>(), p.parameter.norm().item<float>()))
                .ToList();
            model.zero_grad();
            return result;
        }
        finally
        {
            using (no_grad())
                foreach (var (buffer, copy) in buffers)
                {
                    buffer.copy_(copy);
                    copy.Dispose();
                }
            model.train(wasTraining);
        }
    }
}
