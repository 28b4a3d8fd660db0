using ResNetLab.Runtime;
using ResNetLab.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNetLab.Tests.Training;

/// <summary>
/// The zoo's models draw nothing from libtorch's generator while training (data order and augmentation use
/// SplitMix64), but a model with dropout — a student's variant, or stochastic depth — does. A checkpoint therefore
/// keeps the generator's state, and a resumed run must continue the same random stream.
/// </summary>
[Collection(GlobalRngCollection.Name)]
public class ResumeRngTests
{
    public ResumeRngTests() => TorchRuntime.Initialize(DeviceChoice.Cpu);

    /// <summary>Dropout on the input, then a linear classifier: every training step draws a mask from the generator.</summary>
    sealed class DropoutLinear : nn.Module<Tensor, Tensor>
    {
        readonly TorchSharp.Modules.Dropout dropout = nn.Dropout(0.5);
        readonly TorchSharp.Modules.Linear fc = nn.Linear(3 * 32 * 32, 10);

        public DropoutLinear() : base("dropout_linear") => RegisterComponents();

        public override Tensor forward(Tensor x) => fc.call(dropout.call(x.flatten(1)));
    }

    static readonly Budget Tiny = new("tiny-rng", Iterations: 8, EvalEvery: 4, CheckpointEvery: 4, TrainImages: 256, EvalImages: 128, "tests");

    [Fact]
    public void A_resumed_run_with_dropout_continues_the_generator_and_matches_an_uninterrupted_one()
    {
        var root = TestPaths.TempDir("resume-rng");
        try
        {
            var config = new RunConfig { Model = "dropout-linear", Budget = Tiny, Seed = 2 };
            ExperimentOptions Options(string dir) => new()
            {
                RunsDir = Path.Combine(root, dir), Device = DeviceChoice.Cpu, EvalBatchSize = 128, ModelFactory = _ => new DropoutLinear(),
            };
            var whole = Experiment.RunOrLoad(config, Options("whole"));
            var stopped = Experiment.RunOrLoad(config, Options("killed") with { StopAfter = 6 });   // checkpoint at 4, killed at 6
            Assert.Equal(RunOutcome.Stopped, stopped.Outcome);
            random.manual_seed(12345);   // whatever the process did since, the checkpoint decides the stream
            var resumed = Experiment.RunOrLoad(config, Options("killed"));
            Assert.Equal(RunOutcome.Resumed, resumed.Outcome);

            static IEnumerable<(double, double)> Train(IEnumerable<MetricsRow> rows) => rows.Select(r => (r.TrainLoss, r.TrainError));
            Assert.Equal(Train(whole.Metrics), Train(resumed.Metrics));

            using var a = new DropoutLinear();
            using var b = new DropoutLinear();
            Checkpoint.Load(whole.CheckpointPath, a, null);
            Checkpoint.Load(resumed.CheckpointPath, b, null);
            foreach (var ((name, x), (_, y)) in a.state_dict().Zip(b.state_dict()))
                Assert.True(TensorAssert.Same(x, y), $"{name} differs between the uninterrupted and the resumed run");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void A_restored_generator_state_continues_the_same_stream()
    {
        random.manual_seed(7);
        using (rand(100)) { }
        var saved = GeneratorState.Capture();
        using var expected = rand(1000);
        using (rand(37)) { }
        GeneratorState.Restore(saved);
        using var again = rand(1000);
        Assert.True(TensorAssert.Same(expected, again));
    }
}
