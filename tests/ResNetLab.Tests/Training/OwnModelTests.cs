using ResNetLab.Analysis;
using ResNetLab.Models;
using ResNetLab.Runtime;
using ResNetLab.Training;
using TorchSharp;
using static TorchSharp.torch;
using static ResNetLab.Tests.TensorAssert;

namespace ResNetLab.Tests.Training;

/// <summary>
/// A module the caller writes (notebook 01's <c>MyNet</c>) trains like a registry net: its identity is its name plus the
/// hash of its structure, and built like the library's twin it trains the twin's curves for the same seed.
/// </summary>
[Collection(GlobalRngCollection.Name)]
public class OwnModelTests
{
    public OwnModelTests() => TorchRuntime.Initialize(DeviceChoice.Cpu);

    static readonly Budget Tiny = new("tiny", Iterations: 12, EvalEvery: 4, CheckpointEvery: 4, TrainImages: 1_024, EvalImages: 256, "tests");

    static RunConfig Like(long seed = 0) => new() { Model = "mine", Budget = Tiny, Seed = seed };

    static ExperimentOptions Options(string runs, Func<nn.Module<Tensor, Tensor>> model) => new()
    {
        RunsDir = runs, Device = DeviceChoice.Cpu, EvalBatchSize = 128, ModelFactory = _ => model(),
    };

    [Fact]
    public void The_structure_hash_is_stable_and_changes_with_depth_width_and_block_class()
    {
        string Hash(nn.Module<Tensor, Tensor> m) { using (m) return ModuleStructure.Hash(m); }
        var resnet8 = Hash(new StudentNet(1, residual: true));
        Assert.Equal(resnet8, Hash(new StudentNet(1, residual: true)));         // rebuilt (other weights): the same run
        Assert.NotEqual(resnet8, Hash(new StudentNet(2, residual: true)));      // deeper
        Assert.NotEqual(resnet8, Hash(new StudentNet(1, residual: true, width: 8)));   // narrower
        Assert.NotEqual(resnet8, Hash(new StudentNet(1, residual: false)));     // the plain block is another class
    }

    [Fact]
    public void A_registry_name_or_a_library_option_is_refused_for_an_own_module()
    {
        Assert.Throws<ArgumentException>(() => Experiment.OwnModel("resnet20", () => new StudentNet(1, true), Like()));
        Assert.Throws<ArgumentException>(() => Experiment.OwnModel("mine", () => new StudentNet(1, true), Like() with { Shortcut = ShortcutOption.B }));
    }

    [Fact]
    public void Built_in_the_library_nets_order_and_initialised_by_its_rule_an_own_module_starts_from_its_weights_for_a_seed()
    {
        TorchRuntime.Seed(5);
        using var own = new StudentNet(1, residual: true);
        TorchRuntime.Seed(5);
        using var library = ModelZoo.Create("resnet8");
        var theirs = library.state_dict();
        var mine = own.state_dict();
        Assert.Equal(theirs.Keys.Order(), mine.Keys.Order());   // the library's names: weights move between the two
        foreach (var (name, w) in theirs) Assert.True(Same(w, mine[name]), $"{name} differs");
        TorchRuntime.Seed(6);
        using var other = new StudentNet(1, residual: true);
        Assert.False(Same(theirs["conv1.weight"], other.state_dict()["conv1.weight"]));
    }

    [Fact]
    public void An_unchanged_module_is_reused_and_a_changed_one_trains_a_new_run()
    {
        var runs = TestPaths.TempDir("own-model");
        try
        {
            RunResult Train(Func<nn.Module<Tensor, Tensor>> model) =>
                Experiment.RunOrLoad(Experiment.OwnModel("my-net", model, Like()), Options(runs, model));

            var first = Train(() => new StudentNet(1, residual: true));
            Assert.Equal(RunOutcome.Trained, first.Outcome);
            Assert.Equal("my-net", first.Record.Config.Model);
            Assert.NotNull(first.Record.Config.Structure);
            Assert.Equal(RunOutcome.Reused, Train(() => new StudentNet(1, residual: true)).Outcome);

            var plain = Train(() => new StudentNet(1, residual: false));
            Assert.Equal(RunOutcome.Trained, plain.Outcome);
            Assert.NotEqual(first.Folder, plain.Folder);
            Assert.NotEqual(first.Record.ConfigHash, plain.Record.ConfigHash);
        }
        finally { Directory.Delete(runs, true); }
    }

    [Fact]
    public void Built_like_the_library_net_an_own_module_trains_the_same_curves_for_the_same_seed()
    {
        var runs = TestPaths.TempDir("own-twin");
        try
        {
            Func<nn.Module<Tensor, Tensor>> mine = () => new StudentNet(1, residual: true);
            var own = Experiment.RunOrLoad(Experiment.OwnModel("my-resnet8", mine, Like(seed: 3)), Options(runs, mine));
            var twin = Experiment.RunOrLoad(new RunConfig { Model = "resnet8", Budget = Tiny, Seed = 3 },
                Options(runs, () => ModelZoo.Create("resnet8")));
            var agreement = RunAnalysis.Agreement(own, twin);
            Assert.Equal(3, agreement.Evaluations);
            Assert.True(agreement.MaxTrainLossDifference < 1e-7, $"training loss differs by {agreement.MaxTrainLossDifference}");
            Assert.True(agreement.MaxTestErrorDifferencePoints < 0.5, $"test error differs by {agreement.MaxTestErrorDifferencePoints} points");

            // Another seed is another init: the same check then sees the curves apart (it can fail).
            var other = Experiment.RunOrLoad(new RunConfig { Model = "resnet8", Budget = Tiny, Seed = 4 }, Options(runs, () => ModelZoo.Create("resnet8")));
            Assert.True(RunAnalysis.Agreement(own, other).MaxTrainLossDifference > 1e-3);
        }
        finally { Directory.Delete(runs, true); }
    }
}

/// <summary>A CIFAR ResNet written as a student writes it (notebook 01): fields named as the library names them, built in its order.</summary>
sealed class StudentNet : nn.Module<Tensor, Tensor>
{
    readonly TorchSharp.Modules.Conv2d conv1;
    readonly TorchSharp.Modules.BatchNorm2d bn1;
    readonly TorchSharp.Modules.Sequential layer1, layer2, layer3;
    readonly TorchSharp.Modules.Linear linear;

    public StudentNet(int n, bool residual, long width = 16) : base(nameof(StudentNet))
    {
        conv1 = nn.Conv2d(3, width, kernel_size: 3, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(width);
        nn.Module<Tensor, Tensor> Block(long i, long o, long s) => residual ? new StudentResidualBlock(i, o, s) : new StudentPlainBlock(i, o, s);
        TorchSharp.Modules.Sequential Stage(long i, long o, long s) =>
            nn.Sequential(Enumerable.Range(0, n).Select(b => b == 0 ? Block(i, o, s) : Block(o, o, 1)));
        (layer1, layer2, layer3) = (Stage(width, width, 1), Stage(width, 2 * width, 2), Stage(2 * width, 4 * width, 2));
        linear = nn.Linear(4 * width, 10);
        RegisterComponents();
        Initialization.Paper(this);
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = layer3.call(layer2.call(layer1.call(bn1.call(conv1.call(x)).relu())));
        return linear.call(nn.functional.adaptive_avg_pool2d(h, 1).flatten(1)).MoveToOuterDisposeScope();
    }
}

class StudentPlainBlock : nn.Module<Tensor, Tensor>
{
    readonly TorchSharp.Modules.Conv2d conv1, conv2;
    readonly TorchSharp.Modules.BatchNorm2d bn1, bn2;
    protected readonly long Stride, ExtraChannels;

    public StudentPlainBlock(long inChannels, long outChannels, long stride) : base(nameof(StudentPlainBlock))
    {
        conv1 = nn.Conv2d(inChannels, outChannels, kernel_size: 3, stride: stride, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(outChannels);
        conv2 = nn.Conv2d(outChannels, outChannels, kernel_size: 3, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(outChannels);
        (Stride, ExtraChannels) = (stride, outChannels - inChannels);
        RegisterComponents();
    }

    protected Tensor Branch(Tensor x) => bn2.call(conv2.call(bn1.call(conv1.call(x)).relu()));

    public override Tensor forward(Tensor x) => Branch(x).relu();
}

sealed class StudentResidualBlock(long inChannels, long outChannels, long stride) : StudentPlainBlock(inChannels, outChannels, stride)
{
    public override Tensor forward(Tensor x)
    {
        var shortcut = Stride == 1 ? x : x[.., .., TensorIndex.Slice(step: Stride), TensorIndex.Slice(step: Stride)];
        if (ExtraChannels > 0)   // option A: zero channels
            shortcut = nn.functional.pad(shortcut, [0, 0, 0, 0, ExtraChannels / 2, ExtraChannels - ExtraChannels / 2]);
        return (Branch(x) + shortcut).relu();
    }
}
