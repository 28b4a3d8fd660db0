using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNetLab.Models;

/// <summary>One layer seen during the traced forward pass. Shapes are per image (batch dimension dropped).</summary>
public sealed record LayerComplexity(string Name, string Kind, long[] InputShape, long[] OutputShape, long Parameters, long MultiplyAdds)
{
    /// <summary>The output shape as "64×8×8", for tables.</summary>
    public string OutputText => string.Join("×", OutputShape);
}

/// <summary>Parameters and multiply-adds of a module; multiply-adds count conv + fc layers, as Table 1 does.</summary>
public sealed record ComplexityReport(IReadOnlyList<LayerComplexity> Layers, long Parameters, long MultiplyAdds);

/// <summary>
/// Measures a module by tracing shapes on one real forward pass (hooks on Conv2d/Linear/BatchNorm2d), not by formula,
/// so whatever the code builds is what gets counted.
/// </summary>
public static class Complexity
{
    /// <summary>Trace one image of <paramref name="channels"/>×<paramref name="inputSize"/>² through the module (eval mode, no grad).</summary>
    public static ComplexityReport Measure(nn.Module<Tensor, Tensor> model, int inputSize, int channels = 3)
    {
        var layers = new List<LayerComplexity>();
        var removers = new List<Action>();
        foreach (var (name, module) in model.named_modules())
        {
            if (module is not (Conv2d or Linear or BatchNorm2d)) continue;
            var layer = (nn.Module<Tensor, Tensor>)module;
            var own = module.parameters(recurse: false).Sum(p => p.numel());
            var handle = layer.register_forward_hook((m, input, output) =>
            {
                var inShape = input.shape[1..];
                var outShape = output.shape[1..];
                var outPerImage = outShape.Aggregate(1L, (a, b) => a * b);
                long macs = m switch
                {
                    // each output element: (in/groups)·k·k multiply-adds, i.e. the weight's fan-in.
                    Conv2d conv => outPerImage * conv.weight!.shape[1..].Aggregate(1L, (a, b) => a * b),
                    Linear lin => lin.weight!.numel(),
                    _ => 0,  // BN is folded into the conv at inference and not counted by the paper
                };
                layers.Add(new LayerComplexity(name, m.GetType().Name, inShape, outShape, own, macs));
                return output;
            });
            removers.Add(handle.remove);
        }

        var wasTraining = model.training;
        model.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var device = model.parameters().FirstOrDefault()?.device ?? CPU;
            var x = zeros([1, channels, inputSize, inputSize], device: device);
            model.call(x);
        }
        finally
        {
            foreach (var remove in removers) remove();
            model.train(wasTraining);
        }
        var total = model.parameters().Sum(p => p.numel());
        return new ComplexityReport(layers, total, layers.Sum(l => l.MultiplyAdds));
    }

    /// <summary>Only parameters, without a forward pass.</summary>
    public static long CountParameters(nn.Module model) => model.parameters().Sum(p => p.numel());
}
