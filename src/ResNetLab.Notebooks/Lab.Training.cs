using System.Net;
using Microsoft.AspNetCore.Html;
using Microsoft.Data.Analysis;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Formatting;
using Plotly.NET;
using ResNetLab.Analysis;
using ResNetLab.Charts;
using ResNetLab.Data;
using ResNetLab.Training;
using Module = TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>;

namespace ResNetLab.Notebooks;

/// <summary>Training from a notebook: reuse, resume or train each run, with a live chart and a progress line.</summary>
public sealed partial class Lab
{
    ExperimentOptions Options => new() { RunsDir = RunsDir, DataDir = DataDir };

    /// <summary>Train (or reuse / resume) every run of a list, in order; returns their records and metrics.</summary>
    /// <param name="runs">The runs, e.g. a plan's.</param>
    /// <param name="snapshots">The notebook reads the runs' weight snapshots (<see cref="IExperimentPlan.MeasuresSnapshots"/>):
    /// a finished run that kept none (trained before version 0.4) is retrained.</param>
    /// <param name="projectRecords">The cell only draws and compares records (notebook 02; <see cref="IExperimentPlan.ProjectRecordsServe"/>):
    /// a run you do not have that this project committed (notebooks/reference-runs, same name and hash) is loaded from its
    /// record — curves and final errors, no weights — instead of trained. Your own runs come first.</param>
    public IReadOnlyList<RunResult> Train(IEnumerable<RunConfig> runs, bool snapshots = false, bool projectRecords = false) =>
        runs.Select(r => Run(r, snapshots, null, projectRecords: projectRecords)).ToList();

    /// <summary>Train (or reuse / resume) every run of a plan, in order (snapshots kept where the plan measures them).</summary>
    public IReadOnlyList<RunResult> Train(IExperimentPlan plan) => Train(plan.AllRuns, plan.MeasuresSnapshots, plan.ProjectRecordsServe);

    /// <summary>Train (or reuse / resume) one run. Finished runs with the same config are loaded, not retrained.</summary>
    /// <param name="config">The run.</param>
    /// <param name="snapshots">The notebook reads the run's weight snapshots: a finished run that kept none is retrained.</param>
    public RunResult Train(RunConfig config, bool snapshots = false) => Run(config, snapshots, null);

    /// <summary>
    /// Train (or reuse / resume) a module this notebook defines, e.g. <c>lab.Train("my-resnet20", () => new MyNet(3))</c>:
    /// the run is <paramref name="name"/> plus the hash of the module's structure (<see cref="Experiment.OwnModel"/>) at
    /// this notebook's budget, so editing the module trains a new run and an unchanged one is reused like any other.
    /// </summary>
    /// <param name="name">The run's model name (not a registry name).</param>
    /// <param name="model">Builds the module; called once to read its structure, then once per training session after the seed is set.</param>
    /// <param name="seed">The run's seed (initial weights and batch order), as for the library's nets.</param>
    public RunResult Train(string name, Func<Module> model, long seed = 0) =>
        Run(Experiment.OwnModel(name, model, new RunConfig { Model = name, Budget = Budget, Seed = seed }), false, _ => model());

    /// <summary>
    /// The library's twin of <paramref name="yours"/> for <see cref="Agreement"/>, trained with the same number of torch
    /// threads: another thread count sums in another order, and over a run the float differences grow past the agreement
    /// rule (0.009 in the training loss after 40 iterations, seen here). A finished twin from another thread count — e.g.
    /// notebook 02 trained it on a busier machine — is retrained now when this kernel runs your run's thread count;
    /// otherwise the line printed says which setup to use.
    /// </summary>
    public RunResult TrainTwin(RunConfig twin, RunResult yours)
    {
        var run = Train(twin);
        int threads = yours.Record.Runtime.Threads, twinThreads = run.Record.Runtime.Threads;
        if (twinThreads == threads) return run;
        if (TorchSharp.torch.get_num_threads() != threads)
        {
            Show($"{run.Record.Name} was trained with {twinThreads} thread(s), {yours.Record.Name} with {threads}: their curves may differ in " +
                 $"the last digits and more. To compare like for like, restart the kernel with Lab.Setup(threads: {threads}) and run again.");
            return run;
        }
        Show($"{run.Record.Name} was trained with {twinThreads} thread(s), {yours.Record.Name} with {threads}: retraining the twin with {threads}, so that only the nets differ.");
        return Run(twin, false, null, force: true);
    }

    /// <summary>How far two runs' curves are apart (largest training-loss and test-error difference), e.g. your net and its library twin.</summary>
    public CurveAgreement Agreement(RunResult run, RunResult twin) => RunAnalysis.Agreement(run, twin);

    RunResult Run(RunConfig config, bool snapshots, Func<RunConfig, Module>? factory, bool force = false, bool projectRecords = false)
    {
        config = config.In(Precision);
        var name = Experiment.Resolve(config, customModel: factory is not null).RunName;
        var folder = Runs.Folder(name, RunsDir);
        if (snapshots && Snapshots.MissingFrom(Runs.TryLoad(folder), folder)) Show($"{name}: {Snapshots.MissingReason}");
        var context = KernelInvocationContext.Current;
        var live = context is null ? null : new LiveRun(context, name, Subtitle);
        // outside a kernel (a notebook run as a file-based app) the console shows the training, one line per evaluation
        var result = Experiment.RunOrLoad(config, Options with { RequireSnapshots = snapshots, ModelFactory = factory, Force = force, ProjectRecords = projectRecords ? ReferenceRuns.DefaultFolder : null }, (IProgress<TrainingProgress>?)live ?? (OutOfKernel is null ? null : new ConsoleLines()));
        var line = result.Outcome switch
        {
            RunOutcome.Reused when ReferenceRuns.IsCommitted(result.Folder) => $"{result.Record.Name}: this project's committed record of the same run ({result.Folder}; " +
                $"trained in {result.Record.WallSeconds / 60:0.0} min, {result.Record.Runtime.Threads} thread(s), {result.Record.Device}) — its curves and final errors, no weights; " +
                "`resnet train` with the same settings trains your own",
            RunOutcome.Reused => $"{result.Record.Name}: reused the finished run in {result.Folder} (trained in {result.Record.WallSeconds / 60:0.0} min; delete the folder or use `resnet train --force` to retrain)",
            RunOutcome.Stopped => $"{result.Record.Name}: stopped at iteration {result.Record.Iteration}",
            _ => $"{result.Record.Name}: {result.Outcome.ToString().ToLowerInvariant()} — {result.Record.Iteration:N0} iterations in {result.Record.WallSeconds / 60:0.0} min, " +
                 $"test error {100 * (result.Record.Final?.TestError ?? double.NaN):0.0}%",
        };
        if (live is not null) live.Finish(line); else Show(line);
        return result;
    }

    /// <summary>Training and test error curves (percent) of the runs, for Fig. 6-style charts.</summary>
    public IReadOnlyList<ErrorCurve> Curves(IEnumerable<RunResult> runs) => RunAnalysis.Curves(runs.ToList());
    /// <summary>
    /// The project's own runs of the same models and recipe (notebooks/reference-runs: the paper's recipe — zero-init for
    /// zero-init runs, as at the depth budget — the longest committed, e.g. 12,800 iterations on a 2-core CPU); none for
    /// a model without one. The same at every budget.
    /// </summary>
    public IReadOnlyList<RunResult> References(IEnumerable<RunResult> runs) =>
        ReferenceRuns.LongestLike(ReferenceRuns.Load(), runs.Select(r => r.Record.Config));

    /// <summary>
    /// This project's committed paper-recipe runs of the same models as <paramref name="plain"/> and <paramref name="residual"/>
    /// (paper init, whatever the student's init), shallow against deep of each kind at the longest schedule both were trained to.
    /// </summary>
    public IReadOnlyList<LongRunFacts> LongRuns(IEnumerable<RunResult> plain, IEnumerable<RunResult> residual) =>
        Findings.LongRuns(ReferenceRuns.Load(), plain.Select(r => r.Record.Config.Model), residual.Select(r => r.Record.Config.Model));

    /// <summary>The runs' curves followed by the project's reference curves of the same models, each labelled as whose it is.</summary>
    public IReadOnlyList<ErrorCurve> CurvesWithReferences(IEnumerable<RunResult> runs)
    {
        var list = runs.ToList();
        var yours = list.Select(r => r.Record.Name).ToHashSet(StringComparer.Ordinal);   // a committed record drawn as yours is not drawn twice
        return [.. Curves(list), .. RunAnalysis.ReferenceCurves([.. References(list).Where(r => !yours.Contains(r.Record.Name))])];
    }

    /// <summary>
    /// Notebook 02 at a budget that starts its ResNets at zero (<see cref="Training.Budget.Depth"/>): shows their curves and
    /// the same ResNets' with the paper's init on one chart; at any other budget (no paper-init twins trained) a line
    /// saying which budget makes the comparison.
    /// </summary>
    public void ShowInitComparison(IReadOnlyList<RunResult> zeroInit, IReadOnlyList<RunResult> paperInit)
    {
        if (paperInit.Count == 0)
            Say($"At budget <code>{WebUtility.HtmlEncode(Budget.Key)}</code> the ResNets start with the paper's init only. " +
                "The <code>depth</code> budget (<code>RESNET_BUDGET=depth</code>) trains them both ways; its first output prices it on this machine.");
        else
            Show(Figures.TrainingCurves(Curves(zeroInit.Concat(paperInit)), "ResNets started at zero (\"zero-init\") beside the paper's init", Subtitle));
    }

    /// <summary>Each run's final errors (percent), size and schedule, for the findings.</summary>
    public IReadOnlyList<FinalResult> Finals(IEnumerable<RunResult> runs) => RunAnalysis.Finals(runs.ToList());
    /// <summary>Final errors beside Table 6, with how each run was trained (budget, schedule, data, device, time).</summary>
    public DataFrame Results(IEnumerable<RunResult> runs) => RunAnalysis.Results(runs.ToList());
    /// <summary>Mean ± std of the final test error over seeds per model, beside Table 6's "6.61±0.16" for ResNet-110.</summary>
    public DataFrame SeedSummary(IEnumerable<RunResult> runs) => RunAnalysis.SeedSummary(runs.ToList());
    /// <summary>Table 6's test error (percent) by model name.</summary>
    public static IReadOnlyDictionary<string, double> PaperTestErrors => RunAnalysis.PaperTestErrors;

    /// <summary>Learning rate and training error over the first iterations, with the warm-up switch marked (§4.2, ResNet-110).</summary>
    public GenericChart WarmupChart(RunResult run)
    {
        var (iterations, lr, err) = RunAnalysis.Schedule(run);
        return Figures.Warmup(iterations, lr, err, run.Record.WarmupEndedAt, $"{run.Record.Name} · {Subtitle}");
    }

    /// <summary>The first iteration at the scheduled rate after the warm-up; null without warm-up or if it never ended.</summary>
    public int? WarmupSwitch(RunResult run) => run.Record.WarmupEndedAt;

    /// <summary>Memory of one training step of <paramref name="model"/> at <paramref name="batch"/>: weights, gradients, momentum and activations.</summary>
    public DataFrame MemoryEstimate(string model, int batch) => RunAnalysis.MemoryEstimate(model, batch);

    /// <summary>Fig. 7: the std of every 3×3 layer's response of each run, measured on the first <paramref name="images"/> test images.</summary>
    public IReadOnlyList<ResponseSeries> LayerResponses(IEnumerable<RunResult> runs, int images) =>
        LayerResponseAnalysis.Measure(runs.ToList(), images, DataDir);

    /// <summary>Fig. 7 for any trained nets (e.g. <see cref="Reference"/>'s fully trained ones), each normalised as it was trained.</summary>
    public IReadOnlyList<ResponseSeries> LayerResponses(IEnumerable<TrainedNet> nets, int images) =>
        LayerResponseAnalysis.Measure(nets.ToList(), images, DataDir);

    /// <summary>
    /// The budgets side by side: iterations, schedule, data, what each is for — the named ones, and this notebook's
    /// when it is a number of iterations (RESNET_BUDGET=6400), in its place by length.
    /// </summary>
    public DataFrame BudgetTable()
    {
        var all = Training.Budget.All.Contains(Budget) ? Training.Budget.All : Training.Budget.All.Append(Budget).OrderByDescending(b => b.Iterations).ToList();
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        return new(
            new StringDataFrameColumn("budget", all.Select(b => b.Key + (b == Budget ? " (this notebook)" : ""))),
            new Int32DataFrameColumn("iterations", all.Select(b => b.Iterations)),
            new StringDataFrameColumn("lr ÷10 at", all.Select(b => string.Join(", ", b.Recipe().Milestones))),
            new Int32DataFrameColumn("batch", all.Select(b => b.Recipe().BatchSize)),
            new StringDataFrameColumn("training images", all.Select(b => b.TrainImages?.ToString("N0", invariant) ?? "all 50,000")),
            new StringDataFrameColumn("test images", all.Select(b => b.EvalImages?.ToString("N0", invariant) ?? "all 10,000")),
            new Int32DataFrameColumn("evaluate every", all.Select(b => b.EvalEvery)),
            new StringDataFrameColumn("for", all.Select(b => b.Purpose)));
    }

    /// <summary>The dataset in use: where, which copy, and how many images per class in each set.</summary>
    public DataFrame DataSummary()
    {
        var data = CifarData.Load(DataDir);
        var meta = Path.Combine(data.Directory, "batches.meta.txt");   // class names, one a line, in the official archive
        var names = File.Exists(meta) ? File.ReadLines(meta).Where(l => l.Trim().Length > 0).ToList() : [];
        var classes = Enumerable.Range(0, data.Format.Classes).Select(i => i < names.Count ? names[i].Trim() : $"class {i}").ToList();
        int[] Count(byte[] labels) { var c = new int[classes.Count]; foreach (var l in labels) c[l]++; return c; }
        var train = Count(data.TrainLabels);
        var test = Count(data.TestLabels);
        return new DataFrame(
            new StringDataFrameColumn("class", classes),
            new Int32DataFrameColumn("training images", train),
            new Int32DataFrameColumn("test images", test));
    }

    sealed class ConsoleLines : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress p)
        {
            if (p.Kind != ProgressKind.Evaluation) return;
            Console.WriteLine($"    {p.Run}: iteration {p.Iteration:N0}/{p.Iterations:N0} · train error {100 * p.TrainError:0.0}%" +
                              (p.TestError is { } t ? $" · test error {100 * t:0.0}%" : "") + $" · {p.ImagesPerSecond:0} img/s" +
                              (p.Remaining is { } r ? $" · ETA {r:hh\\:mm\\:ss}" : ""));
        }
    }

    /// <summary>
    /// Shows one run's training live: a progress line (at most once a second) and an error chart (every evaluation),
    /// both updated in place. Headless execution (reports: RESNET_HEADLESS=1) records every update as a new output, so
    /// there the line and the chart are shown once, in their final state.
    /// </summary>
    sealed class LiveRun(KernelInvocationContext context, string name, string subtitle) : IProgress<TrainingProgress>
    {
        static readonly bool Headless = Environment.GetEnvironmentVariable("RESNET_HEADLESS") == "1";
        readonly List<double> iterations = [], train = [], test = [];
        DisplayedValue? status, chart;
        DateTime lastLine = DateTime.MinValue;

        public void Report(TrainingProgress p)
        {
            if (p.Kind == ProgressKind.Evaluation && p.TestError is { } testError)
            {
                iterations.Add(p.Iteration);
                train.Add(100 * p.TrainError);
                test.Add(100 * testError);
                if (!Headless) ShowChart();
            }
            if (Headless || (p.Kind == ProgressKind.Step && DateTime.UtcNow - lastLine < TimeSpan.FromSeconds(1))) return;
            lastLine = DateTime.UtcNow;
            SetStatus($"{name}: iteration {p.Iteration:N0}/{p.Iterations:N0} · lr {p.LearningRate:0.####}{(p.WarmingUp ? " (warm-up)" : "")} · " +
                      $"train loss {p.TrainLoss:0.000}, error {100 * p.TrainError:0.0}%" +
                      (p.TestError is { } t ? $" · test error {100 * t:0.0}%" : "") +
                      $" · {p.ImagesPerSecond:0} img/s" + (p.Remaining is { } r ? $" · ETA {r:hh\\:mm\\:ss}" : ""));
        }

        void SetStatus(string line)
        {
            if (status is null) status = KernelInvocationContextExtensions.Display(context, line, "text/plain");
            else status.Update(line);
        }

        void ShowChart()
        {
            var figure = Figures.TrainingCurves([new ErrorCurve(name, iterations.ToList(), train.ToList(), test.ToList())],
                $"Training {name} (live)", subtitle);
            if (chart is null) chart = KernelInvocationContextExtensions.Display(context, figure);
            else chart.Update(figure);
        }

        public void Finish(string line)
        {
            SetStatus(line);
            if (Headless && iterations.Count > 0) ShowChart();
        }
    }
}
