using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNetLab.Models;

/// <summary>
/// A model's trainable parameters and their gradients as views of one contiguous buffer each (issue 26), so an optimizer
/// updates them all with a handful of large ops instead of a few small ones per tensor. Each parameter keeps its
/// identity, name and shape; only its storage moves into <see cref="Weights"/> (row-major, as before: checkpoints write
/// a parameter's bytes as they lie, which needs it contiguous). Its gradient is a view of <see cref="Gradients"/>, into
/// which backward accumulates; <see cref="ZeroGrad"/> clears them in one op. Build it after the model has moved to its
/// device (moving replaces the parameters) and keep the model's parameters (load weights with copy, not assignment).
/// </summary>
public sealed class FlatParameters : IDisposable
{
    readonly Tensor[] weightViews, gradientViews;

    /// <summary>Move <paramref name="parameters"/> that require a gradient (all of one dtype and device) into one buffer.</summary>
    public FlatParameters(IEnumerable<(string Name, Parameter Parameter)> parameters)
    {
        var trainable = parameters.Where(p => p.Parameter.requires_grad).ToArray();
        Names = [.. trainable.Select(p => p.Name)];
        Parameters = [.. trainable.Select(p => p.Parameter)];
        var (dtype, device) = Parameters.Length > 0 ? (Parameters[0].dtype, Parameters[0].device) : (ScalarType.Float32, CPU);
        if (Parameters.FirstOrDefault(p => p.dtype != dtype || p.device_type != device.type || p.device_index != device.index) is { } odd)
            throw new ArgumentException($"every parameter must be {dtype} on {device} to share one buffer; {Names[Array.IndexOf(Parameters, odd)]} is {odd.dtype} on {odd.device}");
        Offsets = new long[Parameters.Length + 1];
        for (var i = 0; i < Parameters.Length; i++) Offsets[i + 1] = Offsets[i] + Parameters[i].numel();
        using var _ = no_grad();
        Weights = empty(Offsets[^1], dtype, device).DetachFromDisposeScope();
        Gradients = zeros(Offsets[^1], dtype, device).DetachFromDisposeScope();
        weightViews = new Tensor[Parameters.Length];
        gradientViews = new Tensor[Parameters.Length];
        for (var i = 0; i < Parameters.Length; i++)
        {
            var p = Parameters[i];
            weightViews[i] = View(Weights, i);
            weightViews[i].copy_(p);
            p.set_(weightViews[i]);   // the same Parameter object (the module's), now stored in the flat buffer
            gradientViews[i] = View(Gradients, i);
            p.grad = gradientViews[i];
        }
    }

    /// <summary>The parameters' names, in buffer order (the model's order).</summary>
    public string[] Names { get; }
    /// <summary>The parameters themselves (the module's objects), in buffer order.</summary>
    public Parameter[] Parameters { get; }
    /// <summary>Where parameter i starts in the buffers; the last entry is the total number of elements.</summary>
    public long[] Offsets { get; }
    /// <summary>Every parameter's values, one after another.</summary>
    public Tensor Weights { get; }
    /// <summary>Every parameter's gradient, laid out as <see cref="Weights"/>.</summary>
    public Tensor Gradients { get; }

    /// <summary>Parameter <paramref name="i"/>'s slice of a flat tensor laid out as <see cref="Weights"/>, in its shape (a new view).</summary>
    public Tensor View(Tensor flat, int i)
    {
        using var slice = flat.narrow(0, Offsets[i], Offsets[i + 1] - Offsets[i]);
        return slice.view(Parameters[i].shape).DetachFromDisposeScope();
    }

    /// <summary>
    /// Clear every gradient in one op, before backward. Each parameter's gradient is pointed at its view again, in case
    /// other code set it to none meanwhile (<c>zero_grad()</c>), so backward always accumulates into the buffer.
    /// </summary>
    public void ZeroGrad()
    {
        Gradients.zero_();
        for (var i = 0; i < Parameters.Length; i++) Parameters[i].grad = gradientViews[i];
    }

    /// <summary>Frees this object's views and buffers; the parameters keep the storage they share.</summary>
    public void Dispose()
    {
        foreach (var v in weightViews.Concat(gradientViews)) v.Dispose();
        Weights.Dispose();
        Gradients.Dispose();
    }
}
