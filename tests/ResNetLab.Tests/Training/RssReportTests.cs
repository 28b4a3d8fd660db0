using ResNetLab.Models;
using ResNetLab.Runtime;
using ResNetLab.Training;

namespace ResNetLab.Tests.Training;

/// <summary>Issue 25, item 6: run.json reports resident memory after the first and the latest evaluation (flat memory = small growth).</summary>
public class RssReportTests
{
    [Fact]
    public void The_record_holds_RSS_after_the_first_and_the_last_evaluation()
    {
        TorchRuntime.Initialize(DeviceChoice.Cpu);
        var root = TestPaths.TempDir("rss");
        try
        {
            var budget = new Budget("rss", Iterations: 30, EvalEvery: 10, CheckpointEvery: 30, TrainImages: 256, EvalImages: 128, "tests");
            var run = Experiment.RunOrLoad(new RunConfig { Model = "resnet8", Budget = budget, Seed = 5 },
                new ExperimentOptions { RunsDir = root, Device = DeviceChoice.Cpu, EvalBatchSize = 64, ModelFactory = _ => ModelZoo.Create("resnet8") });
            var r = Runs.Load(run.Folder);   // as written to run.json
            Assert.NotNull(r.RssFirstEvalMb);
            Assert.NotNull(r.RssLastEvalMb);
            Assert.InRange(r.RssFirstEvalMb!.Value, 50, r.PeakRssMb);
            Assert.InRange(r.RssLastEvalMb!.Value, 50, r.PeakRssMb);
            Assert.Equal(100 * (r.RssLastEvalMb - r.RssFirstEvalMb) / r.RssFirstEvalMb, r.RssGrowthPercent);
            // This process runs other tests beside it; within one short run the figure still stays far from runaway growth.
            Assert.InRange(r.RssGrowthPercent!.Value, -50, 50);
        }
        finally { Directory.Delete(root, true); }
    }
}
