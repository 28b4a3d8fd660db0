using ResNetLab.Notebooks;

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

            Assert.Equal(["full", "quick (this notebook)", "smoke"], Names("quick"));
            Assert.Equal(["full", "3200it (this notebook)", "quick", "smoke"], Names("3200"));   // a number of iterations, by length
            Assert.Equal(["full", "quick", "400it (this notebook)", "smoke"], Names("400it"));       // smoke is 40 iterations
            Assert.Equal(["full", "quick (this notebook)", "smoke"], Names("800"));               // 800 iterations is quick
        }
        finally { Directory.Delete(runs, true); }
    }
}
