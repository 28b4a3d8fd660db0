using System.Text;
using ResNetLab.Models;
using ResNetLab.Runtime;
using ResNetLab.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNetLab.Tests.Training;

/// <summary>
/// Issue 26: the optimizer's flat buffers and the bf16 working copy against what they replace — the per-parameter
/// update (the previous MomentumSgd, kept here as the reference, checkpoint format included) and a cast of each weight.
/// </summary>
public class FlatBufferTests
{
    public FlatBufferTests() => TorchRuntime.Initialize(DeviceChoice.Cpu);

    const double Momentum = 0.9, Decay = 5e-3;

    /// <summary>The update as it was: three in-place ops per parameter, buffers cloned at the first gradient, saved by name.</summary>
    sealed class PerParameterSgd(nn.Module model)
    {
        readonly (string Name, Parameter P)[] parameters = [.. model.named_parameters().Select(p => (p.name, p.parameter))];
        readonly Dictionary<string, Tensor> buffers = [];

        public void Step(Tensor x, Tensor y, double lr)
        {
            using var scope = NewDisposeScope();
            foreach (var (_, p) in parameters) p.grad = null;
            nn.functional.cross_entropy(((nn.Module<Tensor, Tensor>)model).call(x), y).backward();
            using var _ = no_grad();
            foreach (var (name, p) in parameters)
            {
                var g = p.grad!;
                g.add_(p, alpha: Decay);
                if (buffers.TryGetValue(name, out var v)) v.mul_(Momentum).add_(g);
                else buffers[name] = g.detach().clone().DetachFromDisposeScope();
                p.add_(buffers[name], alpha: -lr);
            }
        }

        public void Save(BinaryWriter writer)
        {
            writer.Write(buffers.Count);
            foreach (var (name, _) in parameters)
            {
                writer.Write(name);
                buffers[name].Save(writer);
            }
        }

        public Tensor Buffer(string name) => buffers[name];
    }

    static (Tensor X, Tensor Y) Batch(int seed)
    {
        random.manual_seed(seed);
        return (randn(16, 3, 16, 16).DetachFromDisposeScope(), randint(0, 10, [16]).DetachFromDisposeScope());
    }

    static ResNetModel Twin(ResNetModel of)
    {
        var twin = ModelZoo.Create("resnet8");
        using (no_grad())
            foreach (var ((_, a), (_, b)) in of.named_parameters().Zip(twin.named_parameters())) b.copy_(a);
        return twin;
    }

    static float MaxDifference(nn.Module a, nn.Module b) =>
        a.named_parameters().Zip(b.named_parameters()).Max(p => (p.First.parameter - p.Second.parameter).abs().max().item<float>());

    [Fact]
    public void The_flat_update_equals_the_per_parameter_update_through_a_checkpoint_and_resume()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(5);
        using var ours = ModelZoo.Create("resnet8");
        using var theirs = Twin(ours);
        var reference = new PerParameterSgd(theirs);
        var sgd = new MomentumSgd(ours.named_parameters().Select(p => (p.name, p.parameter)), Momentum, Decay);
        Assert.Empty(sgd.MomentumBuffers);
        for (var t = 0; t < 3; t++)
        {
            var (x, y) = Batch(t);
            Trainer.Step(ours, sgd, x, y, 0.1);
            reference.Step(x, y, 0.1);
        }
        Assert.True(MaxDifference(ours, theirs) <= 1e-6f, $"flat vs per-parameter: {MaxDifference(ours, theirs):E2}");

        // Checkpoint: weights and momentum as the checkpoint writes them; the momentum section is the old format, byte for byte.
        using var saved = new MemoryStream();
        using (var w = new BinaryWriter(saved, Encoding.UTF8, leaveOpen: true)) { ours.save(w); sgd.Save(w); }
        using var old = new MemoryStream();
        using (var w = new BinaryWriter(old, Encoding.UTF8, leaveOpen: true)) reference.Save(w);
        var momentumBytes = saved.ToArray()[^(int)old.Length..];
        Assert.True(MaxDifference(ours, theirs) > 0 || momentumBytes.SequenceEqual(old.ToArray()), "the momentum section changed format");
        foreach (var (name, v) in sgd.MomentumBuffers)
            Assert.True((v - reference.Buffer(name)).abs().max().item<float>() <= 1e-6f, $"{name}: velocity differs");
        sgd.Dispose();

        // Resume into a fresh model and optimizer (as a new process would), then three more steps across a rate change.
        random.manual_seed(99);
        using var resumed = ModelZoo.Create("resnet8");
        using var resumedSgd = new MomentumSgd(resumed.named_parameters().Select(p => (p.name, p.parameter)), Momentum, Decay);
        saved.Position = 0;
        using (var r = new BinaryReader(saved, Encoding.UTF8, leaveOpen: true)) { resumed.load(r); resumedSgd.Load(r); }
        Assert.Equal(0f, MaxDifference(resumed, ours));   // loading wrote into the flat buffer the parameters live in
        // An old-format momentum section (the per-parameter optimizer's) loads too.
        using var migrated = Twin(ours);
        using var migratedSgd = new MomentumSgd(migrated.named_parameters().Select(p => (p.name, p.parameter)), Momentum, Decay);
        old.Position = 0;
        using (var r = new BinaryReader(old)) migratedSgd.Load(r);
        for (var t = 3; t < 6; t++)
        {
            var (x, y) = Batch(t);
            var lr = t < 4 ? 0.1 : 0.01;
            Trainer.Step(resumed, resumedSgd, x, y, lr);
            Trainer.Step(migrated, migratedSgd, x, y, lr);
            reference.Step(x, y, lr);
        }
        Assert.True(MaxDifference(resumed, theirs) <= 1e-6f, $"resumed flat vs per-parameter: {MaxDifference(resumed, theirs):E2}");
        Assert.True(MaxDifference(migrated, theirs) <= 1e-6f, $"migrated flat vs per-parameter: {MaxDifference(migrated, theirs):E2}");
        Assert.True(MaxDifference(resumed, ours) > 1e-4f, "the resumed model did not train");
    }

    [Fact]
    public void Parameters_live_in_one_buffer_and_gradients_survive_zero_grad_to_none()
    {
        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create("resnet8");
        using var sgd = new MomentumSgd(model.named_parameters().Select(p => (p.name, p.parameter)), Momentum, Decay);
        var flat = sgd.Parameters;
        Assert.Equal(model.parameters().Sum(p => p.numel()), flat.Weights.numel());
        Assert.All(model.parameters(), p => Assert.True(p.is_contiguous()));   // checkpoints write a parameter's bytes as they lie
        using (no_grad()) flat.Weights.fill_(0.25);
        Assert.All(model.parameters(), p => Assert.Equal(0.25f, p.max().item<float>()));
        // Someone else's zero_grad() drops the gradients; the next step must still see fresh ones, not a stale zero buffer.
        model.zero_grad();
        var (x, y) = Batch(1);
        using (no_grad()) flat.Weights.normal_(0, 0.1);
        var before = flat.Weights.clone();
        Trainer.Step(model, sgd, x, y, 0.1);
        var moved = (flat.Weights - before).abs();
        var decayOnly = before.abs().mul(0.1 * Decay).max().item<float>();
        Assert.True(moved.max().item<float>() > 10 * decayOnly, "the update used no gradient");
    }

    [Fact]
    public void The_bf16_working_copy_is_each_weight_cast_and_its_gradient_reaches_the_master()
    {
        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create("resnet8");
        using var sgd = new MomentumSgd(model.named_parameters().Select(p => (p.name, p.parameter)), Momentum, Decay);
        using var working = new MixedPrecision(sgd.Parameters);
        using (no_grad()) sgd.Parameters.Weights.normal_(0, 0.3);   // after the copy was made: Begin must cast again
        sgd.ZeroGrad();
        using (working.Begin())
        {
            foreach (var (name, p) in model.named_parameters())
            {
                using var copy = MixedPrecision.Weight(p, ScalarType.BFloat16);
                using var cast = p.to(ScalarType.BFloat16);
                Assert.True(copy.eq(cast).all().item<bool>(), $"{name}: working copy ≠ cast");
                copy.to(ScalarType.Float32).sum().backward();
            }
        }
        // Backward reached the working copy, not the master; ReturnGradients moves it (the derivative of a sum is 1).
        Assert.All(model.parameters(), p => Assert.Equal(0f, p.grad!.abs().max().item<float>()));
        working.ReturnGradients();
        Assert.All(model.parameters(), p => Assert.True(p.grad!.eq(1).all().item<bool>()));
        // Outside a step a layer casts for itself.
        var first = model.parameters().First();
        using var outside = MixedPrecision.Weight(first, ScalarType.BFloat16);
        Assert.True(outside.requires_grad && outside.eq(first.to(ScalarType.BFloat16)).all().item<bool>());
    }

    [Fact]
    public void A_bf16_step_with_the_working_copy_equals_one_that_casts_per_layer()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(8);
        using var once = ModelZoo.Create("resnet8");
        using var perLayer = Twin(once);
        once.Precision = perLayer.Precision = Precision.Bf16;
        using var sgdOnce = new MomentumSgd(once.named_parameters().Select(p => (p.name, p.parameter)), Momentum, Decay);
        using var sgdPerLayer = new MomentumSgd(perLayer.named_parameters().Select(p => (p.name, p.parameter)), Momentum, Decay);
        using var working = new MixedPrecision(sgdOnce.Parameters);
        for (var t = 0; t < 2; t++)
        {
            var (x, y) = Batch(t);
            var a = Trainer.Step(once, sgdOnce, x, y, 0.1, working);
            var b = Trainer.Step(perLayer, sgdPerLayer, x, y, 0.1);
            Assert.Equal(b.Loss, a.Loss);
        }
        Assert.Equal(0f, MaxDifference(once, perLayer));
        Assert.All(once.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
    }
}
