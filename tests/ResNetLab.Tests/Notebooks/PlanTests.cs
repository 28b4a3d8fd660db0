using ResNetLab.Models;
using ResNetLab.Notebooks.Reports;
using ResNetLab.Runtime;
using ResNetLab.Training;

namespace ResNetLab.Tests.Notebooks;

/// <summary>The plan `resnet reports` prints first: runs per notebook, which are reused, and how long the rest takes.</summary>
public class PlanTests
{
    // Multiply-adds stand-ins: plain56 costs 3× plain20 — the estimate must scale with them.
    static double Macs(string model) => model switch { "plain20" or "resnet20" => 1e6, "plain56" or "resnet56" => 3e6, _ => 2e6 };

    static void WriteFinished(string runsDir, RunConfig config, double wallSeconds)
    {
        var record = new RunRecord
        {
            Name = config.RunName, Config = config, ConfigHash = config.Hash, Recipe = config.ResolvedRecipe, Dataset = "CIFAR-10",
            DataSource = "mirror", DataLabel = "test", DataDirectory = "/nowhere", Split = "test", EvalSet = "test", Seed = config.Seed,
            Device = "cpu", Runtime = new RuntimeInfo("0", "0", "10", "cpu", false, 2, null), Parameters = 1,
            StartedUtc = DateTime.UtcNow, Status = RunStatus.Finished, Iteration = config.ResolvedRecipe.Iterations, WallSeconds = wallSeconds,
        };
        new RunFolder(Runs.Folder(config.RunName, runsDir)).SaveRecord(record);
    }

    [Fact]
    public void Work_counts_training_images_and_a_third_of_each_evaluated_image()
    {
        var smoke = Experiments.Degradation(Budget.Smoke).Plain[0];   // 40 iterations of 128, evaluation every 20 on 500 images
        Assert.Equal(40 * 128 + 2 * 500 / 3.0, TrainingEstimate.Units(smoke, 40), 6);
        Assert.Equal(20 * 128 + 1 * 500 / 3.0, TrainingEstimate.Units(smoke, 40, from: 20), 6);
    }

    [Fact]
    public void Finished_runs_are_reused_and_the_rest_estimated_from_this_machines_speed()
    {
        var runs = TestPaths.TempDir("plan");
        try
        {
            var plan = Experiments.Degradation(Budget.Smoke);
            var plain20 = plan.Plain[0];
            WriteFinished(runs, plain20, wallSeconds: 60);   // this machine: one smoke plain20 (1e6 MACs) per minute
            var measured = 0;
            var estimate = TrainingEstimate.FromRuns(runs, Macs, () => { measured++; return 1; });
            var notebooks = new[] { "02-degradation", "06-layer-responses" }.Select(n => Path.Combine(TestPaths.Root, "notebooks", n + ".ipynb"));
            var plans = NotebookPlans.Make(notebooks, Budget.Smoke, runs, estimate);

            var nb02 = plans[0];
            Assert.Equal(["plain20-cifar10-smoke-s0", "plain56-cifar10-smoke-s0", "resnet20-A-cifar10-smoke-s0", "resnet56-A-cifar10-smoke-s0"], nb02.Runs.Select(r => r.Name));
            Assert.Equal(PlannedAction.Reuse, nb02.Runs[0].Action);
            Assert.Equal(3, nb02.ToTrain.Count());
            // same budget, 3× the multiply-adds → 3× the finished plain20's minute; 1× for resnet20
            Assert.Equal(180, nb02.Runs[1].Seconds, 6);
            Assert.Equal(60, nb02.Runs[2].Seconds, 6);
            Assert.Equal(180 + 60 + 180, nb02.Seconds, 6);
            Assert.Contains("scaled by multiply-adds", nb02.Runs[1].Estimate!.Basis);
            Assert.Equal(0, measured);   // finished runs exist: nothing measured

            // 06 reuses 02's four runs (trained earlier in the same job) and trains only ResNet-110
            var nb06 = plans[1];
            Assert.Equal(4, nb06.Runs.Count(r => r.Action is PlannedAction.Reuse or PlannedAction.ReuseFromEarlierNotebook));
            Assert.Equal("resnet110", Assert.Single(nb06.ToTrain).Config.Model);
        }
        finally { Directory.Delete(runs, true); }
    }

    [Fact]
    public void Notebooks_08_and_10_reuse_the_earlier_notebooks_runs_and_10_trains_only_the_pre_activation_net()
    {
        var runs = TestPaths.TempDir("plan-beyond");
        try
        {
            var estimate = TrainingEstimate.FromRuns(runs, Macs, () => 1e6);
            var notebooks = new[] { "05-very-deep", "06-layer-responses", "08-gradient-flow", "10-preactivation" }
                .Select(n => Path.Combine(TestPaths.Root, "notebooks", n + ".ipynb"));
            var plans = NotebookPlans.Make(notebooks, Budget.Smoke, runs, estimate);
            Assert.Equal(["05-very-deep", "06-layer-responses", "08-gradient-flow", "10-preactivation"], plans.Select(p => p.Notebook));
            var nb08 = plans[2];
            Assert.Equal(5, nb08.Runs.Count);
            Assert.All(nb08.Runs, r => Assert.Equal(PlannedAction.ReuseFromEarlierNotebook, r.Action));
            var nb10 = plans[3];
            Assert.Equal(PlannedAction.ReuseFromEarlierNotebook, nb10.Runs.Single(r => r.Config.Model == "resnet110").Action);
            Assert.Equal("preact-resnet110", Assert.Single(nb10.ToTrain).Config.Model);
        }
        finally { Directory.Delete(runs, true); }
    }

    [Fact]
    public void A_run_finished_without_snapshots_is_reused_by_02_but_retrained_once_by_the_notebooks_that_read_them()
    {
        var runs = TestPaths.TempDir("plan-snapshots");
        try
        {
            var estimate = TrainingEstimate.FromRuns(runs, Macs, () => 1e6);
            var degradation = Experiments.Degradation(Budget.Smoke);
            foreach (var r in degradation.AllRuns) WriteFinished(runs, r, wallSeconds: 60);   // as before version 0.4: no snapshots
            var kept = Runs.Folder(degradation.Plain[0].RunName, runs);                         // plain-20 has them
            Directory.CreateDirectory(Path.Combine(kept, Snapshots.FolderName));
            File.WriteAllText(Path.Combine(kept, Snapshots.FolderName, Snapshots.FileName(0)), "");
            var notebooks = new[] { "02-degradation", "08-gradient-flow", "09-loss-landscape" }
                .Select(n => Path.Combine(TestPaths.Root, "notebooks", n + ".ipynb"));
            var plans = NotebookPlans.Make(notebooks, Budget.Smoke, runs, estimate);

            Assert.All(plans[0].Runs, r => Assert.Equal(PlannedAction.Reuse, r.Action));
            var nb08 = plans[1].Runs.ToDictionary(r => r.Config.Model, r => r.Action);
            Assert.Equal(PlannedAction.ReuseFromEarlierNotebook, nb08["plain20"]);
            Assert.Equal(PlannedAction.Train, nb08["plain56"]);
            Assert.Equal(PlannedAction.Train, nb08["resnet56"]);
            Assert.Equal(PlannedAction.Train, nb08["resnet110"]);   // never trained
            // 09 reads the same two 56-layer runs: 08 retrained them, so they are not retrained twice
            Assert.All(plans[2].Runs, r => Assert.Equal(PlannedAction.ReuseFromEarlierNotebook, r.Action));
        }
        finally { Directory.Delete(runs, true); }
    }

    [Fact]
    public void Same_model_runs_give_the_rate_directly_and_no_runs_means_a_measurement()
    {
        var runs = TestPaths.TempDir("plan-rate");
        try
        {
            var quick = Experiments.Degradation(Budget.Quick).Plain[0];
            var smoke = Experiments.Degradation(Budget.Smoke).Plain[0];
            WriteFinished(runs, smoke, wallSeconds: 100);
            var fromRuns = TrainingEstimate.FromRuns(runs, Macs, () => throw new InvalidOperationException("must not measure"));
            var expected = 100 * TrainingEstimate.Units(quick, quick.ResolvedRecipe.Iterations) / TrainingEstimate.Units(smoke, 40);
            var e = fromRuns.Estimate(quick);
            Assert.Equal(expected, e.Seconds, 6);
            Assert.Contains("finished plain20", e.Basis);

            var empty = TrainingEstimate.FromRuns(Path.Combine(runs, "none"), Macs, () => 1e6 * 100);   // 100 img/s of a 1e6-MAC net
            var m = empty.Estimate(smoke);
            Assert.Equal(TrainingEstimate.Units(smoke, 40) / 100, m.Seconds, 6);
            Assert.Contains("measured", m.Basis);
        }
        finally { Directory.Delete(runs, true); }
    }

    [Fact]
    public void A_bf16_report_plans_the_bf16_twins_and_estimates_them_from_bf16_runs()
    {
        var runs = TestPaths.TempDir("plan-bf16");
        try
        {
            var plan = Experiments.Degradation(Budget.Smoke);
            var plain20 = plan.Plain[0];
            WriteFinished(runs, plain20, wallSeconds: 90);                                 // fp32: 90 s
            WriteFinished(runs, plain20.In(Precision.Bf16), wallSeconds: 60);       // its bf16 twin: 60 s
            var estimate = TrainingEstimate.FromRuns(runs, Macs, () => throw new InvalidOperationException("must not measure"));
            var notebook = new[] { Path.Combine(TestPaths.Root, "notebooks", "02-degradation.ipynb") };

            var bf16 = NotebookPlans.Make(notebook, Budget.Smoke, runs, estimate, Precision.Bf16)[0];
            Assert.Equal(["plain20-cifar10-smoke-bf16-s0", "plain56-cifar10-smoke-bf16-s0", "resnet20-A-cifar10-smoke-bf16-s0", "resnet56-A-cifar10-smoke-bf16-s0"],
                bf16.Runs.Select(r => r.Name));
            Assert.Equal(PlannedAction.Reuse, bf16.Runs[0].Action);
            Assert.Equal(3 * 60, bf16.Runs[1].Seconds, 6);   // from the bf16 run, scaled by multiply-adds — not from the slower fp32 one
            Assert.DoesNotContain("fp32", bf16.Runs[1].Estimate!.Basis);

            var fp32 = NotebookPlans.Make(notebook, Budget.Smoke, runs, estimate)[0];
            Assert.Equal(PlannedAction.Reuse, fp32.Runs[0].Action);
            Assert.Equal(3 * 90, fp32.Runs[1].Seconds, 6);

            // only runs of the other precision: still an estimate, and the basis says what it rests on
            var onlyFp32 = TestPaths.TempDir("plan-fp32-only");
            try
            {
                WriteFinished(onlyFp32, plain20, wallSeconds: 90);
                var e = TrainingEstimate.FromRuns(onlyFp32, Macs, () => throw new InvalidOperationException("must not measure"))
                    .Estimate(plain20.In(Precision.Bf16));
                Assert.Equal(90, e.Seconds, 6);
                Assert.Contains("in fp32 (this run is bf16)", e.Basis);
            }
            finally { Directory.Delete(onlyFp32, true); }
        }
        finally { Directory.Delete(runs, true); }
    }

    [Fact]
    public void In_a_precision_a_run_becomes_its_twin_and_fp32_leaves_it_as_it_is()
    {
        var run = Experiments.Degradation(Budget.Quick).Residual[0];
        Assert.Same(run, run.In(Precision.Fp32));
        var bf16 = run.In(Precision.Bf16);
        Assert.Equal("resnet20-A-cifar10-quick-bf16-s0", bf16.RunName);
        Assert.NotEqual(run.Hash, bf16.Hash);
        Assert.Same(bf16, bf16.In(Precision.Fp32));   // an explicit bf16 run stays bf16 in an fp32 notebook
    }

    [Fact]
    public void A_notebook_missing_from_the_registry_is_reported_by_name()
    {
        var dir = TestPaths.TempDir("plan-bad");
        try
        {
            var nb = Path.Combine(dir, "99-bad.ipynb");
            File.WriteAllText(nb, """{"cells":[{"cell_type":"code","source":["var p = Experiments.Degradation(lab.Budget);"]}]}""");
            var e = Assert.Throws<InvalidDataException>(() => NotebookPlans.PlansOf(nb, Budget.Smoke));
            Assert.Contains("99-bad.ipynb", e.Message);
            Assert.Contains("NotebookPlans.Declared", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>
    /// The registry is the planner's only source: every notebook has an entry, its cells call exactly the declared plans
    /// with <c>lab.Budget</c> and the declared knobs, and its knob cell declares exactly those knobs (no knob the planner
    /// would miss, none it would invent) — at every named budget.
    /// </summary>
    [Fact]
    public void Every_notebook_calls_exactly_the_plans_the_registry_declares_for_it_with_its_knobs()
    {
        var notebooks = Directory.EnumerateFiles(Path.Combine(TestPaths.Root, "notebooks"), "*.ipynb").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(notebooks.Select(Path.GetFileNameWithoutExtension).OfType<string>(), NotebookPlans.Declared.Keys.Order(StringComparer.Ordinal));
        var call = new System.Text.RegularExpressions.Regex(@"Experiments\.(?<method>[A-Z]\w*)\(\s*lab\.Budget\s*[,)]");
        foreach (var nb in notebooks)
        {
            var doc = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(nb))!;
            var code = string.Join("\n", doc["cells"]!.AsArray().Where(c => (string?)c!["cell_type"] == "code")
                .Select(c => string.Concat(c!["source"]!.AsArray().Select(x => (string?)x))));
            var called = call.Matches(code).Select(m => m.Groups["method"].Value).Distinct().ToList();
            var declared = NotebookPlans.Declared[Path.GetFileNameWithoutExtension(nb)];
            Assert.True(called.SequenceEqual(declared.Select(d => d.Method)),
                $"{Path.GetFileName(nb)} calls [{string.Join(", ", called)}] but the registry declares [{string.Join(", ", declared.Select(d => d.Method))}]");
            foreach (var d in declared) Assert.True(code.Contains(d.Call, StringComparison.Ordinal), $"{Path.GetFileName(nb)} does not call {d.Call}");
            foreach (var budget in Budget.All)
            {
                var knobs = NotebookKnobs.Read(nb, budget);
                Assert.Equal(declared.SelectMany(d => d.Knobs).Distinct(), knobs.Names);
                Assert.Equal(declared.Count, NotebookPlans.PlansOf(nb, budget).Count);
            }
        }
    }

    [Fact]
    public void The_index_names_the_departures_of_each_notebook_at_its_budget()
    {
        var veryDeep = Path.Combine(TestPaths.Root, "notebooks", "05-very-deep.ipynb");
        var degradation = Path.Combine(TestPaths.Root, "notebooks", "02-degradation.ipynb");
        Assert.Empty(NotebookPlans.DeparturesOf(veryDeep, Budget.Full));      // the paper's own recipe
        Assert.Contains("ramped linearly", NotebookPlans.DeparturesOf(veryDeep, Budget.Quick).Single());   // ResNet-110's warm-up at quick
        Assert.Empty(NotebookPlans.DeparturesOf(degradation, Budget.Full));
        var elsewhere = Path.Combine(TestPaths.TempDir("departures"), "02-degradation.ipynb");
        Assert.Throws<FileNotFoundException>(() => NotebookPlans.DeparturesOf(elsewhere, Budget.Quick));   // its knobs come from the file
        Assert.Contains("zero-init", new RunConfig { Model = "resnet56", ZeroInitResidual = true }.Departures.Single());
    }
}
