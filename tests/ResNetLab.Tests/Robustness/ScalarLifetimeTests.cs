using System.Reflection;
using System.Reflection.Emit;
using ResNetLab.Data;
using ResNetLab.Models;
using ResNetLab.Training;
using TorchSharp;

namespace ResNetLab.Tests.Robustness;

/// <summary>
/// Issue 25, item 5 — the cause of the native crash under load: TorchSharp frees a <see cref="Scalar"/> made from a
/// plain number only in its finalizer, and nothing keeps it alive during the native call that reads it, so a GC on
/// another thread can free it mid-call ("Unknown scalar type" in BatchNorm's <c>num_batches_tracked.add_(1)</c>, a
/// segfault in libtorch_cpu). This reads the IL of every method the training step runs and fails on each call that
/// makes such a Scalar: an implicit conversion in our code, or a TorchSharp overload that converts internally (e.g.
/// <c>add_(Tensor)</c>, alpha = 1; BatchNorm's forward).
/// </summary>
public class ScalarLifetimeTests
{
    /// <summary>Everything a training step (forward, loss, backward, update), its data path and evaluation execute.</summary>
    static readonly Type[] TrainingStep =
    [
        typeof(Conv), typeof(Norm), typeof(ZeroPadShortcut), typeof(ResidualBlock), typeof(BasicBlock), typeof(BottleneckBlock),
        typeof(PreActBlock), typeof(ResNetModel), typeof(Trainer), typeof(MomentumSgd), typeof(FlatParameters), typeof(MixedPrecision),
        typeof(Evaluation),
        typeof(CifarLoader), typeof(Augmenter), typeof(Normalizer),
    ];

    [Fact]
    public void The_training_step_makes_no_Scalar_that_a_finalizer_frees()
    {
        var offenders = TrainingStep.SelectMany(Methods)
            .SelectMany(m => Calls(m).Where(c => MakesUnheldScalar(c)).Select(c => $"{m.DeclaringType!.Name}.{m.Name} calls {Describe(c)}"))
            .Distinct().ToList();
        Assert.True(offenders.Count == 0, "pass a held Scalar (Runtime.HeldScalars, or one made once with ToScalar()) instead:\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void The_scan_sees_the_overloads_that_make_Scalars()
    {
        // The scan itself can fail: these TorchSharp members are exactly the ones that caused the crash.
        var addTensor = typeof(torch.Tensor).GetMethod(nameof(torch.Tensor.add_), [typeof(torch.Tensor)])!;
        var addScalar = typeof(torch.Tensor).GetMethod(nameof(torch.Tensor.add_), [typeof(Scalar)])!;
        var held = typeof(torch.Tensor).GetMethod(nameof(torch.Tensor.add_), [typeof(torch.Tensor), typeof(Scalar)])!;
        var bnForward = typeof(TorchSharp.Modules.BatchNorm).GetMethod("forward")!;
        Assert.True(MakesUnheldScalar(addTensor));
        Assert.True(MakesUnheldScalar(addScalar));
        Assert.True(MakesUnheldScalar(bnForward));
        Assert.False(MakesUnheldScalar(held));
        Assert.Contains(Calls(typeof(BasicBlock).GetMethod("Branch")!), c => c.DeclaringType == typeof(Norm));
    }

    static IEnumerable<MethodBase> Methods(Type t) =>
        t.GetMembers(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
            .OfType<MethodBase>().Where(m => m.GetMethodBody() is not null)
            .Concat(t.GetNestedTypes(BindingFlags.NonPublic | BindingFlags.Public).SelectMany(Methods));   // lambdas, local functions

    static string Describe(MethodBase m) => $"{m.DeclaringType?.Name}.{m.Name}({string.Join(", ", m.GetParameters().Select(p => p.ParameterType.Name))})";

    /// <summary>A Scalar made here dies with the call: an implicit conversion, or a TorchSharp method that converts (or
    /// dispatches to a BatchNorm forward, which does) without keeping the result.</summary>
    static bool MakesUnheldScalar(MethodBase m) =>
        IsConversion(m) || (m.DeclaringType?.Assembly == typeof(Scalar).Assembly && (Calls(m).Any(IsConversion) || IsBatchNormForward(m)));

    static bool IsConversion(MethodBase m) => m.DeclaringType == typeof(Scalar) && m.Name == "op_Implicit";

    static bool IsBatchNormForward(MethodBase m) => m.Name == "forward" && typeof(TorchSharp.Modules.BatchNorm).IsAssignableFrom(m.DeclaringType);

    static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    /// <summary>The methods <paramref name="method"/> calls (call, callvirt, newobj), from its IL.</summary>
    static List<MethodBase> Calls(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray() ?? [];
        var calls = new List<MethodBase>();
        for (var i = 0; i < il.Length;)
        {
            var value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            var op = OpCodesByValue[value];
            i += op.Size;
            if (op.OperandType == OperandType.InlineMethod)
            {
                var token = BitConverter.ToInt32(il, i);
                try
                {
                    var generics = method.DeclaringType?.IsGenericType == true ? method.DeclaringType.GetGenericArguments() : null;
                    var target = method.Module.ResolveMethod(token, generics, method.IsGenericMethod ? method.GetGenericArguments() : null);
                    if (target is not null) calls.Add(target);
                }
                catch (ArgumentException) { }
            }
            i += op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, i),
                _ => 4,
            };
        }
        return calls;
    }
}
