using ResNetLab.Models;
using ResNetLab.Notebooks.Reports;
using ResNetLab.Runtime;
using ResNetLab.Training;

namespace ResNetLab.Tests.Notebooks;

/// <summary>
/// Knobs at the top of a notebook (issue 27): declared once in its knob cell, read by the notebook, the reports planner
/// and the library's defaults alike; and the cost a notebook states before it trains.
/// </summary>
public class KnobTests
{
    static string Notebook(string name) => Path.Combine(TestPaths.Root, "notebooks", name + ".ipynb");

    // multiply-adds stand-in proportional to depth: a deeper net is priced dearer
    static double Macs(string model) => double.Parse(new string(model.SkipWhile(c => !char.IsDigit(c)).TakeWhile(char.IsDigit).ToArray()),
        System.Globalization.CultureInfo.InvariantCulture) * 1e6;

    static void WriteFinished(string runsDir, RunConfig config, double wallSeconds, bool weights = false)
    {
        var record = new RunRecord
        {
            Name = config.RunName, Config = config, ConfigHash = config.Hash, Recipe = config.ResolvedRecipe, Dataset = "CIFAR-10",
            DataSource = "mirror", DataLabel = "test", DataDirectory = "/nowhere", Split = "test", EvalSet = "test", Seed = config.Seed,
            Device = "cpu", Runtime = new RuntimeInfo("0", "0", "10", "cpu", false, 2, null), Parameters = 1,
            StartedUtc = DateTime.UtcNow, Status = RunStatus.Finished, Iteration = config.ResolvedRecipe.Iterations, WallSeconds = wallSeconds,
        };
        var folder = Runs.Folder(config.RunName, runsDir);
        new RunFolder(folder).SaveRecord(record);
        if (weights) File.WriteAllText(Path.Combine(folder, Runs.CheckpointFile), "weights");
    }

    /// <summary>A copy of a checkout notebook in <paramref name="dir"/> with one piece of its knob cell replaced.</summary>
    static string Edited(string dir, string notebook, string from, string to)
    {
        var text = File.ReadAllText(Notebook(notebook));
        Assert.Contains(from, text);
        var path = Path.Combine(dir, notebook + ".ipynb");
        File.WriteAllText(path, text.Replace(from, to, StringComparison.Ordinal));
        return path;
    }

    [Fact]
    public void A_knob_cell_parses_typed_values_and_the_full_budget_choice()
    {
        var cell = """
            // Knobs — a comment line
            int[] depths = lab.Budget.IsFull ? [20, 32, 44, 56] : [20, 56];   // trailing comment
            ShortcutOption[] options = [ShortcutOption.A, ShortcutOption.C];
            string[] models = ["resnet20", "a//b"];   // a // inside a string is not a comment

            long seed = 3;
            ShortcutOption shortcut = ShortcutOption.B;
            long[] seeds = [];
            """;
        var quick = NotebookKnobs.Parse(cell, Budget.Quick, "test");
        Assert.Equal([20, 56], quick.Ints("depths"));
        Assert.Equal([20, 32, 44, 56], NotebookKnobs.Parse(cell, Budget.Full, "test").Ints("depths"));
        Assert.Equal([ShortcutOption.A, ShortcutOption.C], quick.Shortcuts("options"));
        Assert.Equal(["resnet20", "a//b"], quick.Strings("models"));
        Assert.Equal(3, quick.Long("seed"));
        Assert.Equal(ShortcutOption.B, quick.Shortcut("shortcut"));
        Assert.Empty(quick.Longs("seeds"));
        Assert.Equal(["depths", "options", "models", "seed", "shortcut", "seeds"], quick.Names);
        Assert.Contains("no knob named width", Assert.Throws<InvalidDataException>(() => quick.Ints("width")).Message);
        Assert.Contains("must be declared int[] (it is string[])", Assert.Throws<InvalidDataException>(() => quick.Ints("models")).Message);
    }

    [Theory]
    [InlineData("int[] depths = Enumerable.Range(1, 3).ToArray();", "int[] knob is written [a, b")]
    [InlineData("var depths = [20];", "a knob's type is one of")]
    [InlineData("int[] depths = [20, 56]", "ending in ';'")]
    [InlineData("long seed = lab.Budget.Name == \"full\" ? 1 : 0;", "'lab.Budget.Name' is not a whole number (long)")]
    [InlineData("ShortcutOption shortcut = ShortcutOption.D;", "is not one of ShortcutOption.A")]
    [InlineData("int seed = 1; int seed = 2;", "unexpected")]
    [InlineData("long seed = 1;\nlong seed = 2;", "declared twice")]
    public void Anything_outside_the_knob_grammar_is_an_error_naming_the_line(string line, string why)
    {
        var e = Assert.Throws<InvalidDataException>(() => NotebookKnobs.Parse("// Knobs\n" + line, Budget.Quick, "nb.ipynb"));
        Assert.Contains("nb.ipynb, knob cell line", e.Message);
        Assert.Contains(why, e.Message);
    }

    /// <summary>The library's default plans are the notebooks' knob cells: declared once.</summary>
    [Fact]
    public void The_library_defaults_are_the_notebooks_knob_cells()
    {
        foreach (var budget in Budget.All)
        {
            Assert.Equal(NotebookPlans.PlansOf(Notebook("02-degradation"), budget).Single().AllRuns, Experiments.Degradation(budget).AllRuns);
            Assert.Equal(NotebookPlans.PlansOf(Notebook("03-shortcut-options"), budget).Single().AllRuns, Experiments.ShortcutOptions(budget).AllRuns);
            Assert.Equal(NotebookPlans.PlansOf(Notebook("04-bottleneck"), budget).Single().AllRuns, Experiments.Bottleneck(budget).AllRuns);
            Assert.Equal(NotebookPlans.PlansOf(Notebook("05-very-deep"), budget).Single().AllRuns, Experiments.VeryDeep(budget).AllRuns);
            Assert.Equal(NotebookPlans.PlansOf(Notebook("10-preactivation"), budget).Single().AllRuns, Experiments.PreActivation(budget).AllRuns);
        }
        // the paper's experiment at full, the extremes below it (README: 02 trains 20 and 56 below full)
        Assert.Equal(["plain20", "plain32", "plain44", "plain56"], Experiments.Degradation(Budget.Full).Plain.Select(r => r.Model));
        Assert.Equal(["plain20", "plain56"], Experiments.Degradation(Budget.Quick).Plain.Select(r => r.Model));
        Assert.Equal(5, Experiments.VeryDeep(Budget.Full).ResNet110.Count);
        Assert.Equal(["resnet110", "resnet164"], Experiments.PreActivation(Budget.Full).Original.Select(r => r.Model));
    }

    /// <summary>Issue 27's test: changing a knob in 02 changes what trains (run names) and what the planner prices.</summary>
    [Fact]
    public void Changing_a_knob_of_02_changes_what_trains_and_what_the_planner_prices()
    {
        var dir = TestPaths.TempDir("knobs");
        var runs = Path.Combine(dir, "runs");
        try
        {
            var estimate = TrainingEstimate.FromRuns(runs, Macs, () => 1e6 * 100);   // 100 images/s of a 1e6-MAC net
            var asShipped = NotebookPlans.Make([Notebook("02-degradation")], Budget.Smoke, runs, estimate).Single();
            var edited = Edited(dir, "02-degradation", "[20, 32, 44, 56] : [20, 56]", "[20, 32, 44, 56] : [20, 32]");
            var changed = NotebookPlans.Make([edited], Budget.Smoke, runs, estimate).Single();
            Assert.Equal(["plain20-cifar10-smoke-s0", "plain56-cifar10-smoke-s0", "resnet20-A-cifar10-smoke-s0", "resnet56-A-cifar10-smoke-s0"], asShipped.Runs.Select(r => r.Name));
            Assert.Equal(["plain20-cifar10-smoke-s0", "plain32-cifar10-smoke-s0", "resnet20-A-cifar10-smoke-s0", "resnet32-A-cifar10-smoke-s0"], changed.Runs.Select(r => r.Name));
            // priced by multiply-adds: (20+32)·2 vs (20+56)·2 units of depth
            Assert.Equal(asShipped.Seconds * (20 + 32) / (20 + 56), changed.Seconds, 6);

            var optionB = NotebookPlans.PlansOf(Edited(dir, "02-degradation", "ShortcutOption shortcut = ShortcutOption.A;", "ShortcutOption shortcut = ShortcutOption.B;"), Budget.Smoke);
            Assert.Equal(["resnet20-B-cifar10-smoke-s0", "resnet56-B-cifar10-smoke-s0"], ((DegradationPlan)optionB.Single()).Residual.Select(r => r.RunName));
            var seeds = NotebookPlans.PlansOf(Edited(dir, "05-very-deep", ": [0];", ": [0, 7];"), Budget.Quick);
            Assert.Equal([0L, 7L], ((VeryDeepPlan)seeds.Single()).ResNet110.Select(r => r.Seed));
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>Opened out of order, 08 says whose runs it trains first and how long; 00 says it trains nothing.</summary>
    [Fact]
    public void A_notebook_opened_out_of_order_names_the_earlier_notebooks_runs_it_trains_and_their_time()
    {
        var runs = TestPaths.TempDir("foresee");
        try
        {
            var estimate = TrainingEstimate.FromRuns(runs, Macs, () => 1e6 * 100);
            var plain20 = Experiments.Degradation(Budget.Smoke).Plain[0];
            WriteFinished(runs, plain20, 60);
            Directory.CreateDirectory(Path.Combine(Runs.Folder(plain20.RunName, runs), Snapshots.FolderName));
            File.WriteAllText(Path.Combine(Runs.Folder(plain20.RunName, runs), Snapshots.FolderName, Snapshots.FileName(0)), "");
            var foresight = NotebookPlans.Foresee(Notebook("08-gradient-flow"), Budget.Smoke, runs, () => estimate);
            Assert.Equal(4, foresight.Plan.ToTrain.Count());
            Assert.Equal("02-degradation", foresight.EarlierNotebook["plain56-cifar10-smoke-s0"]);
            Assert.Equal("01-residual-learning", foresight.EarlierNotebook["resnet20-A-cifar10-smoke-s0"]);   // 01's twin
            Assert.Equal("05-very-deep", foresight.EarlierNotebook["resnet110-A-cifar10-smoke-s0"]);
            Assert.DoesNotContain("plain20-cifar10-smoke-s0", foresight.EarlierNotebook.Keys);   // finished: reused, not trained
            var lines = NotebookPlans.Describe(foresight, Budget.Smoke);
            Assert.StartsWith("08-gradient-flow at budget smoke: trains 4 run(s) — plain56-cifar10-smoke-s0 (about ", lines[0]);
            Assert.Contains("reuses 1 finished run(s) — plain20-cifar10-smoke-s0", lines[0]);
            Assert.Contains("About ", lines[0]);
            Assert.Contains(lines, l => l.StartsWith("Opened before 01-residual-learning: 1 of the runs above is 01-residual-learning's — this notebook trains it first", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith("Opened before 02-degradation: 2 of the runs above are 02-degradation's", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith("Opened before 05-very-deep: 1 of the runs above is", StringComparison.Ordinal));

            // in order (02 trained everything), 06 only says what it trains and reuses
            foreach (var r in Experiments.Degradation(Budget.Smoke).AllRuns) WriteFinished(runs, r, 60);
            var nb06 = NotebookPlans.Foresee(Notebook("06-layer-responses"), Budget.Smoke, runs, () => estimate);
            Assert.Equal("05-very-deep", Assert.Single(nb06.EarlierNotebook).Value);
            Assert.Equal(["08-gradient-flow at budget smoke: trains nothing."],
                NotebookPlans.Describe(new Foresight(new NotebookPlan("08-gradient-flow", []), new Dictionary<string, string>()), Budget.Smoke));
            Assert.Equal(["00-setup at budget quick: trains nothing."],
                NotebookPlans.Describe(NotebookPlans.Foresee(Notebook("00-setup"), Budget.Quick, runs, () => throw new InvalidOperationException("no estimate needed")), Budget.Quick));
        }
        finally { Directory.Delete(runs, true); }
    }

    /// <summary>Notebook 01's two runs are priced: the student's net as its twin, and reused once a run of its name finished.</summary>
    [Fact]
    public void Notebook_01_plans_your_net_and_its_twin()
    {
        var runs = TestPaths.TempDir("plan-01");
        try
        {
            var estimate = TrainingEstimate.FromRuns(runs, Macs, () => 1e6 * 100);
            var plan = NotebookPlans.Make([Notebook("01-residual-learning")], Budget.Smoke, runs, estimate).Single();
            Assert.Equal(["my-resnet20-cifar10-smoke-s0", "resnet20-A-cifar10-smoke-s0"], plan.Runs.Select(r => r.Name));
            var (own, twin) = (plan.Runs[0], plan.Runs[1]);
            Assert.True(own.OwnNet);
            Assert.Equal(PlannedAction.Train, own.Action);
            Assert.Equal(twin.Seconds, own.Seconds, 6);
            Assert.Equal(twin.Estimate!.Basis, own.Estimate!.Basis);

            var yours = Experiments.YourNet(Budget.Smoke).Own with { Structure = "0123456789abcdef" };   // as lab.Train records it
            WriteFinished(runs, yours, 30);
            WriteFinished(runs, Experiments.YourNet(Budget.Quick).Own with { Structure = "0123456789abcdef" }, 30);   // another budget: no use
            var again = NotebookPlans.Make([Notebook("01-residual-learning")], Budget.Smoke, runs, estimate).Single();
            Assert.Equal(PlannedAction.Reuse, again.Runs[0].Action);
            Assert.Equal(yours.RunName, again.Runs[0].Name);
            Assert.Contains("my-resnet20 (your net; reused if unchanged", NotebookPlans.Describe(new Foresight(again, new Dictionary<string, string>()), Budget.Smoke)[0]);
        }
        finally { Directory.Delete(runs, true); }
    }

    [Theory]
    [InlineData(59, "under 1 min")]
    [InlineData(61, "about 1 min")]
    [InlineData(3569, "about 59 min")]
    [InlineData(3570, "about 1 h 00 min")]
    [InlineData(2 * 3600 + 59 * 60 + 40, "about 3 h 00 min")]
    public void Estimated_times_read_as_words(double seconds, string words) => Assert.Equal(words, NotebookPlans.Duration(seconds));

    [Fact]
    public void Reuse_only_lists_runs_not_trained_unfinished_or_without_the_weights_a_notebook_loads()
    {
        var runs = TestPaths.TempDir("reuse-only");
        try
        {
            var estimate = TrainingEstimate.FromRuns(runs, Macs, () => 1e6 * 100);
            var notebooks = new[] { Notebook("02-degradation"), Notebook("06-layer-responses") };
            var degradation = Experiments.Degradation(Budget.Smoke);
            foreach (var r in degradation.AllRuns) WriteFinished(runs, r, 60, weights: r.Model != "plain56");   // plain56: a record only
            var missing = NotebookPlans.MissingForReuseOnly(NotebookPlans.Make(notebooks, Budget.Smoke, runs, estimate), runs);
            Assert.Equal(["plain56-cifar10-smoke-s0", "resnet110-A-cifar10-smoke-s0"], missing.Select(m => m.Run.Name).Order(StringComparer.Ordinal));
            Assert.Contains("without its weights (checkpoint.bin), which 06-layer-responses loads", missing.Single(m => m.Run.Config.Model == "plain56").Why);
            Assert.Equal("not trained", missing.Single(m => m.Run.Config.Model == "resnet110").Why);
            // 02 alone draws curves from records: nothing missing
            Assert.Empty(NotebookPlans.MissingForReuseOnly(NotebookPlans.Make([notebooks[0]], Budget.Smoke, runs, estimate), runs));
        }
        finally { Directory.Delete(runs, true); }
    }
}
