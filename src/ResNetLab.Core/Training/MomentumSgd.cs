using ResNetLab.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNetLab.Training;

/// <summary>
/// SGD with momentum and L2 weight decay on every parameter (§4.2: momentum 0.9, decay 1e-4), in PyTorch's form:
/// v ← μ·v + (g + λ·w); w ← w − lr·v, the first v being g + λ·w. Parameters, gradients and velocities are views of
/// one flat buffer each (<see cref="FlatParameters"/>), so a step is four large in-place ops whatever the depth (it was
/// three per parameter tensor). The velocity starts at zero, so the first step's μ·0 + g is exactly PyTorch's clone of g.
/// Every trainable parameter is updated each step, as PyTorch's SGD does after <c>zero_grad(set_to_none=False)</c>: one
/// that got no gradient still decays. Momentum buffers are keyed by parameter name in checkpoints, as before.
/// </summary>
public sealed class MomentumSgd : IDisposable
{
    readonly FlatParameters flat;
    readonly Tensor velocity;
    readonly Dictionary<string, Tensor> buffers = [];
    bool stepped;
    // TorchSharp frees a Scalar only in its finalizer; made once here, the hot loop creates none.
    readonly Scalar momentum, weightDecay, one;
    Scalar? step;
    double stepRate = double.NaN;

    /// <summary>An optimizer over named parameters (names key the momentum buffers in checkpoints); their storage moves into one buffer.</summary>
    /// <param name="parameters">The model's named parameters (<c>named_parameters()</c>), after it has moved to its device.</param>
    /// <param name="momentum">μ, 0.9 in §4.2.</param>
    /// <param name="weightDecay">λ, 1e-4 in §4.2.</param>
    public MomentumSgd(IEnumerable<(string Name, Parameter Parameter)> parameters, double momentum, double weightDecay)
    {
        flat = new FlatParameters(parameters);
        Momentum = momentum;
        WeightDecay = weightDecay;
        this.momentum = momentum.ToScalar();
        this.weightDecay = weightDecay.ToScalar();
        one = 1.0.ToScalar();
        using (no_grad()) velocity = zeros_like(flat.Weights).DetachFromDisposeScope();
        for (var i = 0; i < flat.Names.Length; i++) buffers[flat.Names[i]] = flat.View(velocity, i);
    }

    /// <summary>μ in v ← μ·v + (g + λ·w).</summary>
    public double Momentum { get; }
    /// <summary>λ, the L2 weight decay added to each gradient.</summary>
    public double WeightDecay { get; }
    /// <summary>The parameters, gradients and their flat buffers this optimizer updates (what mixed precision casts from).</summary>
    public FlatParameters Parameters => flat;
    /// <summary>The velocity of each parameter by name (views of one buffer); empty before the first step.</summary>
    public IReadOnlyDictionary<string, Tensor> MomentumBuffers => stepped ? buffers : new Dictionary<string, Tensor>();

    /// <summary>Clear the gradients (one op) so backward writes fresh ones instead of adding into old ones.</summary>
    public void ZeroGrad() => flat.ZeroGrad();

    /// <summary>One update of every parameter at <paramref name="learningRate"/>: four ops over the flat buffers.</summary>
    public void Step(double learningRate)
    {
        if (learningRate != stepRate)
        {
            step?.Dispose();
            (step, stepRate) = ((-learningRate).ToScalar(), learningRate);
        }
        using var _ = no_grad();
        var (w, g) = (flat.Weights, flat.Gradients);
        if (WeightDecay != 0) g.add_(w, alpha: weightDecay);
        if (Momentum != 0)
        {
            velocity.mul_(momentum).add_(g, alpha: one);
            stepped = true;
            w.add_(velocity, alpha: step!);
        }
        else w.add_(g, alpha: step!);
    }

    /// <summary>Write the momentum buffers (by parameter name; none before the first step) into a checkpoint.</summary>
    public void Save(BinaryWriter writer)
    {
        writer.Write(stepped ? flat.Names.Length : 0);
        if (!stepped) return;
        foreach (var name in flat.Names)
        {
            writer.Write(name);
            buffers[name].Save(writer);
        }
    }

    /// <summary>
    /// Read buffers written by <see cref="Save"/> (by this class or its per-tensor predecessor); a name or shape that does
    /// not match this model is an error. A parameter without a stored buffer starts from zero velocity, which is what
    /// the predecessor's clone at its first gradient amounted to.
    /// </summary>
    public void Load(BinaryReader reader)
    {
        // All or nothing: the buffers are replaced only once every one has been read and checked.
        var byName = flat.Names.Select((n, i) => (n, i)).ToDictionary(x => x.n, x => flat.Parameters[x.i]);
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
                var cpu = zeros(p.shape, p.dtype).DetachFromDisposeScope();
                loaded[name] = cpu;
                cpu.Load(reader);
            }
            using var _ = no_grad();
            velocity.zero_();
            foreach (var (name, v) in loaded) buffers[name].copy_(v);
            stepped = count > 0;
        }
        finally
        {
            foreach (var v in loaded.Values) v.Dispose();
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var v in buffers.Values) v.Dispose();
        velocity.Dispose();
        flat.Dispose();
        momentum.Dispose();
        weightDecay.Dispose();
        one.Dispose();
        step?.Dispose();
    }
}
