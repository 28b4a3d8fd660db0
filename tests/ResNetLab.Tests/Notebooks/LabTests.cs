using ResNetLab.Notebooks;
using ResNetLab.Training;

namespace ResNetLab.Tests.Notebooks;

/// <summary>What notebook 00 shows about budgets: the named ones side by side, and the one this notebook runs at.</summary>
public class LabTests
{
    [Fact]
    public void The_budget_table_shows_a_custom_budget_in_its_place_and_marks_this_notebooks()
    {
        var runs = TestPaths.TempDir("lab-budgets");
        try
        {
            string[] Names(string budget) =>
                Lab.Setup(budget: budget, data: TestPaths.Cifar10, runs: runs).BudgetTable().Columns["budget"].Cast<string>().ToArray();

            Assert.Equal(["full", "depth", "quick (this notebook)", "smoke"], Names("quick"));
            Assert.Equal(["full", "depth", "3200it (this notebook)", "quick", "smoke"], Names("3200"));   // a number of iterations, by length
            Assert.Equal(["full", "depth", "quick", "400it (this notebook)", "smoke"], Names("400it"));       // smoke is 40 iterations
            Assert.Equal(["full", "depth", "quick (this notebook)", "smoke"], Names("800"));               // 800 iterations is quick
            Assert.Equal(["full", "depth (this notebook)", "quick", "smoke"], Names("depth"));

            // every chart's subtitle names the depth budget's departure; the paper's recipe at 3,200 iterations has none
            var depth = Lab.Setup(budget: "depth", data: TestPaths.Cifar10, runs: runs);
            Assert.StartsWith("budget depth (ResNets start every residual branch at zero", depth.Subtitle);
            Assert.DoesNotContain("zero", Lab.Setup(budget: "3200", data: TestPaths.Cifar10, runs: runs).Subtitle);
        }
        finally { Directory.Delete(runs, true); }
    }

    [Fact]
    public void The_init_comparison_draws_both_inits_and_elsewhere_says_which_budget_does()
    {
        var runs = TestPaths.TempDir("lab-inits");
        var shown = new List<object>();
        try
        {
            Lab.OutOfKernel = shown.Add;
            var lab = Lab.Setup(budget: "smoke", data: TestPaths.Cifar10, runs: runs);
            shown.Clear();
            var zero = lab.Train([new RunConfig { Model = "resnet8", Budget = lab.Budget, ZeroInitResidual = true }]);
            var paper = lab.Train([new RunConfig { Model = "resnet8", Budget = lab.Budget }]);
            shown.Clear();
            lab.ShowInitComparison(zero, []);
            Assert.Contains("RESNET_BUDGET=depth", Assert.IsType<Microsoft.AspNetCore.Html.HtmlString>(Assert.Single(shown)).Value);
            shown.Clear();
            lab.ShowInitComparison(zero, paper);
            var html = Plotly.NET.GenericChart.toChartHTML(Assert.IsAssignableFrom<Plotly.NET.GenericChart>(Assert.Single(shown)));
            Assert.Contains("resnet8 zero-init", html);
            Assert.Contains("beside the paper", html);
        }
        finally { Lab.OutOfKernel = null; Directory.Delete(runs, true); }
    }

    [Fact]
    public void The_twin_is_retrained_when_it_was_trained_with_another_thread_count_than_yours()
    {
        var runs = TestPaths.TempDir("lab-twin");
        try
        {
            var lab = Lab.Setup(budget: "smoke", data: TestPaths.Cifar10, runs: runs);
            var yours = lab.Train(new RunConfig { Model = "resnet20", Budget = lab.Budget, Seed = 0 });
            var twinConfig = new RunConfig { Model = "plain20", Budget = lab.Budget, Seed = 0 };
            var twin = lab.Train(twinConfig);
            var threads = yours.Record.Runtime.Threads;
            Assert.Equal(RunOutcome.Reused, lab.TrainTwin(twinConfig, yours).Outcome);   // same threads: reused as it is

            // as if another process (notebook 02 on a busy machine) had trained the twin with another thread count
            new RunFolder(twin.Folder).SaveRecord(twin.Record with { Runtime = twin.Record.Runtime with { Threads = threads + 1 } });
            var again = lab.TrainTwin(twinConfig, yours);
            Assert.Equal(RunOutcome.Trained, again.Outcome);
            Assert.Equal(threads, again.Record.Runtime.Threads);
            Assert.Equal(twin.Metrics.Select(m => m.TrainLoss), again.Metrics.Select(m => m.TrainLoss));   // same threads, same numbers
        }
        finally { Directory.Delete(runs, true); }
    }
}
