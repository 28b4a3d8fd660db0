using System.Text.Json;
using ResNetLab.Analysis;
using ResNetLab.Models;
using ResNetLab.Notebooks.Reports;
using ResNetLab.Runtime;
using ResNetLab.Training;

namespace ResNetLab.Tests.Training;

/// <summary>
/// The depth budget (issue 23): 3,200 iterations with the ResNets started at zero, named "depth" where users type it
/// and "3200it" (+ zeroinit) in run names and hashes, so the search's runs — committed under notebooks/reference-runs —
/// are the runs it plans.
/// </summary>
public class DepthBudgetTests
{
    [Fact]
    public void Depth_is_typed_as_depth_and_named_like_the_3200_iteration_search()
    {
        Assert.Same(Budget.Depth, Budget.Parse("depth"));
        Assert.Same(Budget.Depth, Budget.Parse(" DEPTH "));
        Assert.Equal(("depth", "3200it", 3_200), (Budget.Depth.Key, Budget.Depth.Name, Budget.Depth.Iterations));
        Assert.Contains(Budget.Depth, Budget.All);
        var search = Budget.Parse("3200");   // a number is always the paper's recipe
        Assert.False(search.ZeroInitResiduals);
        Assert.Empty(search.Departures);
        Assert.Equal("3200it", search.Key);
        Assert.Equal((search.Iterations, search.EvalEvery, search.CheckpointEvery, search.EvalImages),
                     (Budget.Depth.Iterations, Budget.Depth.EvalEvery, Budget.Depth.CheckpointEvery, Budget.Depth.EvalImages));
        Assert.Contains("zero", Assert.Single(Budget.Depth.Departures));
        Assert.Contains("depth", Assert.Throws<ArgumentException>(() => Budget.Parse("deep")).Message);
    }

    [Fact]
    public void At_depth_residual_nets_start_at_zero_plain_nets_as_the_paper_and_false_keeps_the_papers_init()
    {
        var resnet = new RunConfig { Model = "resnet56", Shortcut = ShortcutOption.A, Budget = Budget.Depth };
        Assert.True(resnet.ZeroInitResidual);
        Assert.Equal("resnet56-A-cifar10-3200it-zeroinit-s0", resnet.RunName);
        Assert.Contains("zero-init", Assert.Single(resnet.Departures));
        var plain = new RunConfig { Model = "plain56", Budget = Budget.Depth };
        Assert.False(plain.ZeroInitResidual);
        Assert.Equal("plain56-cifar10-3200it-s0", Experiment.Resolve(plain).RunName);   // not refused: the budget's default skips plain nets
        var paper = resnet with { ZeroInitResidual = false };
        Assert.Equal("resnet56-A-cifar10-3200it-s0", paper.RunName);
        Assert.Equal(new RunConfig { Model = "resnet56", Shortcut = ShortcutOption.A, Budget = Budget.Parse("3200") }.Hash, paper.Hash);
        Assert.False(new RunConfig { Model = "my-resnet20", Budget = Budget.Depth }.ZeroInitResidual);   // a notebook's own module
    }

    [Fact]
    public void A_run_json_written_at_depth_reads_back_as_the_same_run()
    {
        foreach (var config in new[] { new RunConfig { Model = "resnet20", Shortcut = ShortcutOption.A, Budget = Budget.Depth, Seed = 1 },
                                       new RunConfig { Model = "resnet20", Shortcut = ShortcutOption.A, Budget = Budget.Depth, ZeroInitResidual = false } })
        {
            var back = JsonSerializer.Deserialize<RunConfig>(JsonSerializer.Serialize(config, RunJson.Options), RunJson.Options)!;
            Assert.Equal((config.RunName, config.Hash, config.ZeroInitResidual), (back.RunName, back.Hash, back.ZeroInitResidual));
        }
    }

    /// <summary>The committed search records are the depth plan's runs, name and hash (files written by earlier sessions' builds).</summary>
    [Theory]
    [InlineData("resnet56-A-cifar10-3200it-zeroinit-s1", 1L, "fp32")]
    [InlineData("resnet56-A-cifar10-3200it-zeroinit-bf16-s0", 0L, "bf16")]
    [InlineData("resnet20-A-cifar10-3200it-zeroinit-bf16-s1", 1L, "bf16")]
    [InlineData("resnet20-A-cifar10-3200it-s0", 0L, "fp32")]
    [InlineData("plain20-cifar10-3200it-s1", 1L, "fp32")]
    public void The_committed_search_records_are_runs_of_the_depth_plan(string record, long seed, string precision)
    {
        var folder = Path.Combine(RepoPaths.Root, "notebooks", ReferenceRuns.FolderName, record);
        var saved = Runs.Load(folder);
        var plan = Experiments.Degradation(Budget.Depth, [20, 56], ShortcutOption.A, seed);
        var run = Assert.Single(plan.AllRuns.Select(r => r.In(Precisions.Parse(precision, nativeBf16: false))), r => r.RunName == record);
        Assert.Equal(saved.Config.Hash, run.Hash);
        Assert.Equal(saved.ConfigHash, run.Hash);
    }

    [Fact]
    public void Notebook_02_at_depth_trains_each_resnet_both_ways_and_says_so_in_the_reports_index()
    {
        var plan = Experiments.Degradation(Budget.Depth, [20, 56], ShortcutOption.A, 0);
        Assert.Equal(["plain20-cifar10-3200it-s0", "plain56-cifar10-3200it-s0",
                      "resnet20-A-cifar10-3200it-zeroinit-s0", "resnet56-A-cifar10-3200it-zeroinit-s0",
                      "resnet20-A-cifar10-3200it-s0", "resnet56-A-cifar10-3200it-s0"], plan.AllRuns.Select(r => r.RunName));
        Assert.Empty(Experiments.Degradation(Budget.Quick, [20, 56], ShortcutOption.A, 0).PaperInit);
        var notebook = Path.Combine(RepoPaths.Root, "notebooks", "02-degradation.ipynb");
        Assert.Contains(NotebookPlans.DeparturesOf(notebook, Budget.Depth), d => d.Contains("zero-init", StringComparison.Ordinal));
        Assert.Empty(NotebookPlans.DeparturesOf(notebook, Budget.Parse("3200")));
        var yours = Experiments.YourNet(Budget.Depth);   // your module starts as the paper's, and so does its twin
        Assert.False(yours.Twin.ZeroInitResidual);
    }

    [Fact]
    public void Notebook_02_draws_the_committed_depth_runs_a_fresh_clone_lacks_and_prices_only_the_rest()
    {
        var runs = TestPaths.TempDir("depth-plan");
        try
        {
            var estimate = TrainingEstimate.FromRuns(runs, _ => 1e6, () => 1e9);
            var plan = NotebookPlans.Price("02-degradation", [Experiments.Degradation(Budget.Depth, [20, 56], ShortcutOption.A, 1)], runs, estimate);
            var committed = plan.Runs.Where(r => r.Action == PlannedAction.ReuseProjectRecord).Select(r => r.Name).ToList();
            Assert.Contains("plain20-cifar10-3200it-s1", committed);                       // fp32 records committed by the search
            Assert.Contains("resnet56-A-cifar10-3200it-zeroinit-s1", committed);
            Assert.DoesNotContain(plan.ToTrain, r => committed.Contains(r.Name));
            Assert.All(committed, name => Assert.NotNull(ReferenceRuns.Match(plan.Runs.Single(r => r.Name == name).Config)));
            Assert.Contains("this project's committed record", NotebookPlans.Describe(new(plan, new Dictionary<string, string>()), Budget.Depth)[0]);
            // a plan that loads weights (the lesion study's ResNet-56) trains it: a record has none
            var lesions = NotebookPlans.Price("07-lesion-study", [Experiments.Lesions(Budget.Depth) with { Residual = Experiments.Degradation(Budget.Depth, [56], ShortcutOption.A, 1).Residual[0] }], runs, estimate);
            Assert.Contains(lesions.ToTrain, r => r.Name == "resnet56-A-cifar10-3200it-zeroinit-s1");
        }
        finally { Directory.Delete(runs, true); }
    }

    [Fact]
    public void Reports_pass_depth_on_to_notebook_kernels_not_its_run_name()
    {
        var settings = RunSettings.Resolve(new SettingsRequest("depth", "fp32", null, null, null));
        Assert.Equal("depth", settings.ToEnvironment()[RunSettings.BudgetVariable]);
        Assert.Same(Budget.Depth, settings.Budget);
    }

    static FinalResult Final(int depth, double train, bool zeroInit) =>
        new($"resnet{depth}", $"resnet{depth}", depth, true, ShortcutOption.A, BlockKind.Basic, 3_200, train, train + 1, 2_000, 0, 0, zeroInit);

    [Fact]
    public void Init_comparison_reads_training_error_and_refuses_swapped_sets()
    {
        var facts = Findings.InitComparison([Final(20, 24.9, true), Final(56, 22.5, true)], [Final(56, 29.3, false), Final(20, 20.35, false)])!;
        Assert.True(facts.ZeroInitDeepAhead);
        Assert.False(facts.PaperInitDeepAhead);
        Assert.Equal(29.3 - 22.5, facts.DeepGainPoints, 9);
        Assert.Equal(20.35 - 24.9, facts.ShallowGainPoints, 9);
        Assert.Equal((20, 56), (facts.ShallowPaperInit.Depth, facts.DeepPaperInit.Depth));
        Assert.Null(Findings.InitComparison([Final(20, 24.9, true), Final(56, 22.5, true)], []));   // other budgets: no paper-init twins
        Assert.Throws<ArgumentException>(() => Findings.InitComparison([Final(56, 29.3, false), Final(20, 20.35, false)], [Final(20, 24.9, true), Final(56, 22.5, true)]));
    }
}
