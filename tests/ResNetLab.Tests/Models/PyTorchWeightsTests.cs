using ResNetLab.Models;
using ResNetLab.Models.Interop;
using static TorchSharp.torch;

namespace ResNetLab.Tests.Models;

/// <summary>Against files written by real PyTorch (Fixtures/make_pytorch_fixtures.py, torch 1.13).</summary>
public class PyTorchWeightsTests
{
    static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures");

    public PyTorchWeightsTests() => Torch.Up();

    static string Fixture(string name) => Path.Combine(Fixtures, name);

    static Tensor Io(string key)
    {
        var io = (OrderedDictionary<object, object?>)TorchFile.Load(Fixture("resnet8_io.pt"))!;
        return (Tensor)io[key]!;
    }

    static float MaxAbsDiff(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    [Fact]
    public void Zip_checkpoint_with_DataParallel_prefix_gives_PyTorchs_logits()
    {
        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create("resnet8", ShortcutOption.A);
        model.LoadPyTorch(Fixture("resnet8_a_checkpoint.pt"));
        model.eval();
        using var _ = no_grad();
        var diff = MaxAbsDiff(model.call(Io("input")), Io("logits_a"));
        Assert.True(diff <= 1e-5, $"max |Δlogit| = {diff}");
        // BN running statistics came along (the fixture ran 3 training batches).
        Assert.Equal(3L, model.state_dict()["bn1.num_batches_tracked"].item<long>());
        Assert.True(model.state_dict()["bn1.running_var"].sub(1).abs().max().item<float>() > 0.01);
    }

    [Fact]
    public void Legacy_format_option_B_gives_PyTorchs_logits()
    {
        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create("resnet8", ShortcutOption.B);
        model.LoadPyTorch(Fixture("resnet8_b_legacy.pt"));
        model.eval();
        using var _ = no_grad();
        var diff = MaxAbsDiff(model.call(Io("input")), Io("logits_b"));
        Assert.True(diff <= 1e-5, $"max |Δlogit| = {diff}");
    }

    [Fact]
    public void Export_then_import_round_trips_every_tensor_and_the_logits()
    {
        using var scope = NewDisposeScope();
        using var source = ModelZoo.Create("resnet8", ShortcutOption.B);
        source.LoadPyTorch(Fixture("resnet8_b_legacy.pt"));
        var path = Path.Combine(Path.GetTempPath(), $"resnet8-roundtrip-{Guid.NewGuid():N}.pt");
        try
        {
            source.SavePyTorch(path);
            var read = PyTorchWeights.ReadStateDict(path);
            var expected = PyTorchWeights.StateDict(source);
            Assert.Equal(expected.Select(e => e.Key), read.Keys);
            foreach (var (k, t) in expected)
            {
                Assert.Equal(t.dtype, read[k].dtype);
                Assert.True(read[k].eq(t).all().item<bool>(), k);
            }
            using var copy = ModelZoo.Create("resnet8", ShortcutOption.B);
            copy.LoadPyTorch(path);
            source.eval();
            copy.eval();
            using var _ = no_grad();
            var x = Io("input");
            Assert.True(copy.call(x).eq(source.call(x)).all().item<bool>());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Torchvision_names_load_into_the_cifar_model()
    {
        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create("resnet8", ShortcutOption.B);
        var sd = PyTorchWeights.ReadStateDict(Fixture("resnet8_b_legacy.pt"));
        var renamed = sd.ToDictionary(kv => kv.Key.Replace("linear.", "fc.").Replace(".shortcut.", ".downsample."), kv => kv.Value);
        Assert.Contains("fc.weight", renamed.Keys);
        Assert.Contains("layer2.0.downsample.0.weight", renamed.Keys);
        PyTorchWeights.Load(model, renamed);
        Assert.True(model.state_dict()["linear.weight"].eq(sd["linear.weight"]).all().item<bool>());
        Assert.True(model.state_dict()["layer3.0.shortcut.1.running_mean"].eq(sd["layer3.0.shortcut.1.running_mean"]).all().item<bool>());
    }

    [Fact]
    public void A_state_dict_that_does_not_fit_fails_listing_every_bad_key_and_loads_nothing()
    {
        using var scope = NewDisposeScope();
        // Option B weights into an option-A model with 100 classes: extra projection keys and a mis-shaped classifier.
        using var model = ModelZoo.Create("resnet8", ShortcutOption.A, numClasses: 100);
        var before = PyTorchWeights.StateDict(model).Select(kv => kv.Value.clone()).ToList();
        var e = Assert.Throws<InvalidDataException>(() => model.LoadPyTorch(Fixture("resnet8_b_legacy.pt")));
        Assert.Contains("nothing was loaded", e.Message);
        Assert.Contains("unexpected keys (12)", e.Message);  // 2 projections × (conv weight + BN γ, β, mean, var, count)
        Assert.Contains("layer2.0.shortcut.0.weight", e.Message);
        Assert.Contains("layer3.0.shortcut.1.num_batches_tracked", e.Message);
        Assert.Contains("linear.weight: file [10, 64], model [100, 64]", e.Message);
        Assert.Contains("linear.bias: file [10], model [100]", e.Message);
        var after = PyTorchWeights.StateDict(model).Select(kv => kv.Value).ToList();
        Assert.All(before.Zip(after), p => Assert.True(p.First.eq(p.Second).all().item<bool>()));

        using var bigger = ModelZoo.Create("resnet14", ShortcutOption.A);
        var missing = Assert.Throws<InvalidDataException>(() => bigger.LoadPyTorch(Fixture("resnet8_a_checkpoint.pt")));
        Assert.Contains("missing keys (30): layer1.1.conv1.weight", missing.Message);  // 3 extra blocks × (2 convs + 2 BNs × 4)
        Assert.DoesNotContain("num_batches_tracked", missing.Message);
    }

    [Fact]
    public void Files_that_are_not_torch_saves_are_rejected_clearly()
    {
        var path = Path.Combine(Path.GetTempPath(), $"not-a-checkpoint-{Guid.NewGuid():N}.pt");
        try
        {
            File.WriteAllText(path, "hello, this is text");
            var e = Assert.Throws<InvalidDataException>(() => TorchFile.Load(path));
            Assert.Contains("neither a zip archive nor a legacy torch.save file", e.Message);
            using var model = ModelZoo.Create("resnet8");
            var io = Assert.Throws<InvalidDataException>(() => model.LoadPyTorch(Fixture("resnet8_io.pt")));
            Assert.Contains("unexpected keys (3): input, logits_a, logits_b", io.Message);
            Assert.Contains("missing keys (", io.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
