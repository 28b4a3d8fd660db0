using ResNetLab.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNetLab.Models;

/// <summary>
/// bfloat16 mixed precision as one object the training loop is given (issues 24 and 26), with autocast's contract:
/// convolutions and the classifier of a <see cref="Precision.Bf16"/> model compute in bfloat16 from a working copy of
/// the float32 master weights; BN, the loss and the optimizer stay float32. The working copy is one flat buffer, cast
/// from the optimizer's master buffer in one op per step (<see cref="Begin"/>), and its gradients go back into the
/// master's in one op (<see cref="ReturnGradients"/>) — where every layer used to cast its weight on every pass. Outside
/// a step (evaluation, analysis, a model trained without this object) a layer's weight is cast where it is used.
/// </summary>
public sealed class MixedPrecision : IDisposable
{
    // Like autocast's state, per thread: the forward pass that runs inside Begin's scope on this thread uses this copy.
    [ThreadStatic] static MixedPrecision? active;
    readonly FlatParameters master;
    readonly Tensor weights, gradients;
    readonly Tensor[] leaves, leafGradients;
    readonly Dictionary<IntPtr, Tensor> byParameter = [];

    /// <summary>A working copy in <paramref name="dtype"/> of the parameters in <paramref name="master"/> (the optimizer's).</summary>
    public MixedPrecision(FlatParameters master, ScalarType dtype = ScalarType.BFloat16)
    {
        (this.master, Dtype) = (master, dtype);
        using var _ = no_grad();
        weights = master.Weights.to(dtype).DetachFromDisposeScope();
        gradients = zeros_like(weights).DetachFromDisposeScope();
        leaves = new Tensor[master.Parameters.Length];
        leafGradients = new Tensor[leaves.Length];
        for (var i = 0; i < leaves.Length; i++)
        {
            using (var view = master.View(weights, i))
                leaves[i] = view.detach().requires_grad_(true).DetachFromDisposeScope();   // a leaf: backward stops here
            leafGradients[i] = master.View(gradients, i);
            leaves[i].grad = leafGradients[i];
            byParameter[master.Parameters[i].Handle] = leaves[i];
        }
    }

    /// <summary>The working precision (bfloat16).</summary>
    public ScalarType Dtype { get; }

    /// <summary>
    /// Cast the working copy from the master now (one op) and clear its gradients; until the returned scope is disposed,
    /// forward passes on this thread compute with it. Wrap the forward pass of a training step.
    /// </summary>
    public IDisposable Begin()
    {
        using (no_grad())
        {
            weights.copy_(master.Weights);
            gradients.zero_();
        }
        var scope = new Scope(active);
        active = this;
        return scope;
    }

    /// <summary>
    /// After backward: add the working copy's gradients into the master's (one op, exact: a master weight used only
    /// through its copy has a zero gradient there, and a parameter used in float32, such as BN's, has a zero one here).
    /// </summary>
    public void ReturnGradients()
    {
        using var _ = no_grad();
        master.Gradients.add_(gradients, HeldScalars.One);
    }

    /// <summary>
    /// <paramref name="weight"/> in <paramref name="dtype"/> for a layer whose input is in that precision (a new tensor,
    /// differentiable back to the float32 parameter): the working copy inside a step, else a cast made here.
    /// </summary>
    public static Tensor Weight(Parameter weight, ScalarType dtype) =>
        active is { } a && a.Dtype == dtype && a.byParameter.TryGetValue(weight.Handle, out var copy) ? copy.alias() : weight.to(dtype);

    sealed class Scope(MixedPrecision? previous) : IDisposable
    {
        public void Dispose() => active = previous;
    }

    /// <summary>Frees the working copy (the master is the optimizer's).</summary>
    public void Dispose()
    {
        foreach (var t in leaves.Concat(leafGradients)) t.Dispose();
        weights.Dispose();
        gradients.Dispose();
    }
}
