using ResNetLab.Analysis;
using ResNetLab.Data;
using ResNetLab.Models;
using ResNetLab.Runtime;
using ResNetLab.Tests.Data;
using ResNetLab.Training;

namespace ResNetLab.Tests.Training;

/// <summary>
/// A CIFAR-100 run end to end: the config's dataset decides the data, the classifier's width and every later reader
/// (record, results, layer responses) — nothing assumes CIFAR-10. Full-size synthetic CIFAR-100 files (labels r % 100).
/// </summary>
[Collection(GlobalRngCollection.Name)]
public class Cifar100RunTests
{
    [Fact]
    public void A_cifar100_run_trains_records_and_analyses()
    {
        var root = TestPaths.TempDir("cifar100");
        try
        {
            SyntheticCifar.Write(Path.Combine(root, CifarFormat.Cifar100.Folder), CifarFormat.Cifar100);
            TorchRuntime.Initialize(DeviceChoice.Cpu);
            var budget = new Budget("tiny", Iterations: 4, EvalEvery: 2, CheckpointEvery: 2, TrainImages: 512, EvalImages: 100, "tests");
            var config = new RunConfig { Model = "resnet8", Dataset = "cifar100", Budget = budget };
            var options = new ExperimentOptions { RunsDir = Path.Combine(root, "runs"), DataDir = root, Device = DeviceChoice.Cpu, EvalBatchSize = 50 };

            var run = Experiment.RunOrLoad(config, options);
            Assert.Equal(RunOutcome.Trained, run.Outcome);
            Assert.Equal("CIFAR-100", run.Record.Dataset);
            Assert.Equal(ModelZoo.Spec("resnet8").ExpectedParameters(classes: 100), run.Record.Parameters);
            Assert.Equal(100, run.Record.Final!.EvalImages);

            var final = RunAnalysis.Finals([run]).Single();
            Assert.Equal((8, true, BlockKind.Basic), (final.Depth, final.Residual, final.Block));
            Assert.Equal(1, RunAnalysis.Results([run]).Rows.Count);

            var responses = LayerResponseAnalysis.Measure([run], images: 8, root).Single();
            Assert.Equal(ModelZoo.Spec("resnet8").ThreeByThreeLayers, responses.Std.Count);
            Assert.All(responses.Std, s => Assert.True(double.IsFinite(s) && s > 0));

            var reused = Experiment.RunOrLoad(config, options);
            Assert.Equal(RunOutcome.Reused, reused.Outcome);
        }
        finally { Directory.Delete(root, true); }
    }
}
