using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNetLab.Training;

/// <summary>
/// SGD with momentum and L2 weight decay on every parameter (§4.2: momentum 0.9, decay 1e-4), in PyTorch's form:
/// v ← μ·v + (g + λ·w); w ← w − lr·v, the first v being g + λ·w. Three in-place ops per parameter, no allocation
/// after the first step. Momentum buffers are keyed by parameter name so checkpoints restore them exactly.
/// </summary>
public sealed class MomentumSgd : IDisposable
{
    readonly (string Name, Parameter Parameter)[] parameters;
    readonly Dictionary<string, Tensor> buffers = [];
    // TorchSharp frees a Scalar only in its finalizer; made once here, the hot loop creates none.
    readonly Scalar momentum, weightDecay, one;
    Scalar? step;
    double stepRate = double.NaN;

    /// <summary>An optimizer over named parameters (names key the momentum buffers in checkpoints).</summary>
    /// <param name="parameters">The model's named parameters (<c>named_parameters()</c>).</param>
    /// <param name="momentum">μ, 0.9 in §4.2.</param>
    /// <param name="weightDecay">λ, 1e-4 in §4.2.</param>
    public MomentumSgd(IEnumerable<(string Name, Parameter Parameter)> parameters, double momentum, double weightDecay)
    {
        this.parameters = parameters.ToArray();
        Momentum = momentum;
        WeightDecay = weightDecay;
        this.momentum = momentum.ToScalar();
        this.weightDecay = weightDecay.ToScalar();
        one = 1.0.ToScalar();
    }

    /// <summary>μ in v ← μ·v + (g + λ·w).</summary>
    public double Momentum { get; }
    /// <summary>λ, the L2 weight decay added to each gradient.</summary>
    public double WeightDecay { get; }
    /// <summary>The velocity of each parameter by name; empty before the first step.</summary>
    public IReadOnlyDictionary<string, Tensor> MomentumBuffers => buffers;

    /// <summary>Drop the gradients (set to none) so backward writes fresh ones instead of adding into old ones.</summary>
    public void ZeroGrad()
    {
        foreach (var (_, p) in parameters)
        {
            using var g = p.grad;
            if (g is not null) p.grad = null;
        }
    }

    /// <summary>One update of every parameter that has a gradient, at <paramref name="learningRate"/>.</summary>
    public void Step(double learningRate)
    {
        if (learningRate != stepRate)
        {
            step?.Dispose();
            (step, stepRate) = ((-learningRate).ToScalar(), learningRate);
        }
        using var _ = no_grad();
        foreach (var (name, p) in parameters)
        {
            using var g = p.grad;
            if (g is null) continue;
            if (WeightDecay != 0) g.add_(p, alpha: weightDecay);
            if (Momentum != 0)
            {
                if (buffers.TryGetValue(name, out var v)) v.mul_(momentum).add_(g, alpha: one);
                else buffers[name] = v = g.detach().clone().DetachFromDisposeScope();
                p.add_(v, alpha: step!);
            }
            else p.add_(g, alpha: step!);
        }
    }

    /// <summary>Write the momentum buffers (by parameter name) into a checkpoint.</summary>
    public void Save(BinaryWriter writer)
    {
        writer.Write(buffers.Count);
        foreach (var (name, _) in parameters)
        {
            if (!buffers.TryGetValue(name, out var v)) continue;
            writer.Write(name);
            v.Save(writer);
        }
    }

    /// <summary>Read buffers written by <see cref="Save"/>; a name or shape that does not match this model is an error.</summary>
    public void Load(BinaryReader reader)
    {
        // All or nothing: the buffers are replaced only once every one has been read and checked.
        var byName = parameters.ToDictionary(p => p.Name, p => p.Parameter);
        var loaded = new Dictionary<string, Tensor>();
        try
        {
            var count = reader.ReadInt32();
            if (count < 0 || count > byName.Count)
                throw new InvalidDataException($"checkpoint has {count} momentum buffers for a model of {byName.Count} parameters");
            for (var i = 0; i < count; i++)
            {
                var name = reader.ReadString();
                if (!byName.TryGetValue(name, out var p))
                    throw new InvalidDataException($"checkpoint has a momentum buffer for '{name}', which this model does not have");
                if (loaded.ContainsKey(name)) throw new InvalidDataException($"checkpoint has two momentum buffers for '{name}'");
                // Read into a tensor of the parameter's shape: TorchSharp checks the stored dtype and shape against it
                // before reading any data, so a damaged header cannot allocate an arbitrary tensor.
                using var cpu = zeros(p.shape, p.dtype);
                cpu.Load(reader);
                loaded[name] = cpu.to(p.device, copy: true).DetachFromDisposeScope();
            }
        }
        catch
        {
            foreach (var v in loaded.Values) v.Dispose();
            throw;
        }
        ClearBuffers();
        foreach (var (name, v) in loaded) buffers[name] = v;
    }

    void ClearBuffers()
    {
        foreach (var v in buffers.Values) v.Dispose();
        buffers.Clear();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        ClearBuffers();
        momentum.Dispose();
        weightDecay.Dispose();
        one.Dispose();
        step?.Dispose();
    }
}
