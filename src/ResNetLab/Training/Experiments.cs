using Microsoft.Data.Analysis;
using ResNetLab.Models;

namespace ResNetLab.Training;

/// <summary>A notebook's list of runs at one budget; shows as a table (model, schedule, data) in notebooks.</summary>
public interface IExperimentPlan
{
    /// <summary>Heading shown above the plan's table and in reports.</summary>
    string Title { get; }
    /// <summary>Every run of the plan, in training order.</summary>
    IEnumerable<RunConfig> AllRuns { get; }
    /// <summary>
    /// Its analysis reads the runs' weight snapshots (notebooks 08 and 09): a finished run that kept none (trained before
    /// version 0.4) is retrained, by the notebook, the report plan and a sweep alike.
    /// </summary>
    bool MeasuresSnapshots => false;
    /// <summary>
    /// Its analysis loads the runs' trained weights (checkpoint.bin): a finished record without them (e.g. a reference
    /// run, records only) cannot serve it. Reports from runs trained elsewhere check this up front.
    /// </summary>
    bool ReadsWeights => MeasuresSnapshots;
    /// <summary>
    /// Its analysis reads only the runs' records (curves, final errors, how they were trained): a run this project
    /// committed with the same name and hash (<see cref="ReferenceRuns.Match"/>) serves when the runs folder has none, so
    /// a student sees it without retraining (notebook 02: <c>lab.Train(plan.Plain, projectRecords: true)</c>).
    /// </summary>
    bool ProjectRecordsServe => false;
    /// <summary>The run whose speed estimates <paramref name="run"/>'s time: itself, or for a net the registry does not know, its twin.</summary>
    RunConfig PricedAs(RunConfig run) => run;
}

/// <summary>
/// Notebook 01: a net the notebook defines and the library's twin. The own run's config has no structure hash (the
/// planner cannot build the notebook's module): the planner reuses a finished run of that name whatever its hash — the
/// net as last trained — and prices a new one as the twin (same layers).
/// </summary>
/// <param name="Title">Heading shown above the plan.</param>
/// <param name="Own">The notebook's net: its name (not a registry name), budget and seed; <c>lab.Train(Own.Model, factory)</c> trains it.</param>
/// <param name="Twin">The library's net of the same layers and seed.</param>
public sealed record OwnNetPlan(string Title, RunConfig Own, RunConfig Twin) : IExperimentPlan
{
    /// <summary>The own net's name, as <c>lab.Train(name, factory)</c> takes it.</summary>
    public string Name => Own.Model;
    /// <inheritdoc/>
    public IEnumerable<RunConfig> AllRuns => [Own, Twin];
    /// <inheritdoc/>
    public RunConfig PricedAs(RunConfig run) => run == Own ? Twin with { Precision = run.Precision } : run;
}

/// <summary>Fig. 6 left/middle: plain nets and their residual twins at the same depths.</summary>
/// <param name="Title">Heading shown above the plan.</param>
/// <param name="Plain">The plain nets, shallow to deep.</param>
/// <param name="Residual">The ResNets of the same depths, initialised as the budget says (zero-init at <see cref="Budget.Depth"/>).</param>
/// <param name="PaperInit">At a budget that starts its ResNets at zero (<see cref="Budget.ZeroInitResiduals"/>), the same
/// ResNets with the paper's init, to compare; empty at every other budget (<see cref="Residual"/> already are).</param>
public sealed record DegradationPlan(string Title, IReadOnlyList<RunConfig> Plain, IReadOnlyList<RunConfig> Residual, IReadOnlyList<RunConfig> PaperInit) : IExperimentPlan
{
    /// <inheritdoc/>
    public IEnumerable<RunConfig> AllRuns => Plain.Concat(Residual).Concat(PaperInit);
    /// <inheritdoc/>
    public bool ProjectRecordsServe => true;
}

/// <summary>A plan that is just a list of runs (shortcut options, basic vs bottleneck).</summary>
/// <param name="Title">Heading shown above the plan.</param>
/// <param name="Runs">The runs, in training order.</param>
public sealed record RunsPlan(string Title, IReadOnlyList<RunConfig> Runs) : IExperimentPlan
{
    /// <inheritdoc/>
    public IEnumerable<RunConfig> AllRuns => Runs;
}

/// <summary>§4.2 very deep nets: ResNet-110 (with warm-up, seeds) and ResNet-1202.</summary>
/// <param name="Title">Heading shown above the plan.</param>
/// <param name="ResNet110">ResNet-110 runs, one per seed (five at the full budget, as Table 6's mean ± std).</param>
/// <param name="ResNet1202">The ResNet-1202 run (a short, smaller-batch schedule below the full budget).</param>
/// <param name="ResNet1202Batch">ResNet-1202's batch size, shown beside its results (128 only at the full budget).</param>
public sealed record VeryDeepPlan(string Title, IReadOnlyList<RunConfig> ResNet110, IReadOnlyList<RunConfig> ResNet1202, int ResNet1202Batch) : IExperimentPlan
{
    /// <inheritdoc/>
    public IEnumerable<RunConfig> AllRuns => ResNet110.Concat(ResNet1202);
}

/// <summary>Fig. 7: trained nets whose 3×3 layer responses are measured on test images.</summary>
/// <param name="Title">Heading shown above the plan.</param>
/// <param name="Runs">The nets measured (plain-20/56, ResNet-20/56/110).</param>
/// <param name="Images">Test images the responses are measured on.</param>
public sealed record LayerResponsePlan(string Title, IReadOnlyList<RunConfig> Runs, int Images) : IExperimentPlan
{
    /// <inheritdoc/>
    public IEnumerable<RunConfig> AllRuns => Runs;
    /// <inheritdoc/>
    public bool ReadsWeights => true;
}

/// <summary>Notebook 08: gradient flow through the nets of notebook 06 over their snapshots, and shattered gradients at initialisation.</summary>
/// <param name="Title">Heading shown above the plan.</param>
/// <param name="Runs">The trained nets whose snapshots are measured (plain-20/56, ResNet-20/56/110: notebook 06's runs, reused).</param>
/// <param name="BatchImages">Training images in the one fixed batch every snapshot's gradients are measured on.</param>
/// <param name="LineDepths">Depths of the plain and residual nets whose input gradients are measured along lines at initialisation.</param>
/// <param name="LinePoints">Points per line through input space (Balduzzi et al. use 256 on their 1-D input).</param>
/// <param name="Lines">Lines (random image, random direction) the gradient correlations are averaged over.</param>
public sealed record GradientFlowPlan(string Title, IReadOnlyList<RunConfig> Runs, int BatchImages, IReadOnlyList<int> LineDepths,
                                      int LinePoints, int Lines) : IExperimentPlan
{
    /// <inheritdoc/>
    public IEnumerable<RunConfig> AllRuns => Runs;
    /// <inheritdoc/>
    public bool MeasuresSnapshots => true;
}

/// <summary>Notebook 10: original vs pre-activation ResNets (He et al., ECCV 2016), trained with the same budget, seed and warm-up rule.</summary>
/// <param name="Title">Heading shown above the plan.</param>
/// <param name="Original">The original (post-activation) nets: ResNet-110 (notebook 05's seed 0) and, at full, ResNet-164 (notebook 04's).</param>
/// <param name="PreActivation">Their pre-activation twins, in the same order.</param>
/// <param name="NotTrained">Shown as what it would cost here, never trained by the notebook: pre-activation ResNet-1001 on the paper's schedule.</param>
public sealed record PreActivationPlan(string Title, IReadOnlyList<RunConfig> Original, IReadOnlyList<RunConfig> PreActivation, RunConfig NotTrained) : IExperimentPlan
{
    /// <inheritdoc/>
    public IEnumerable<RunConfig> AllRuns => Original.Concat(PreActivation);
}

/// <summary>
/// Notebook 07, the lesion study of Veit et al. (NeurIPS 2016): a trained ResNet and its plain twin, and how much is
/// measured on them. Nothing here trains beyond the two runs (shared with notebooks 02 or 05 where the config is theirs).
/// </summary>
/// <param name="Title">Heading shown above the plan.</param>
/// <param name="Residual">The ResNet whose blocks are deleted (ResNet-56 below the full budget, ResNet-110 at full, as Veit et al.).</param>
/// <param name="Plain">The plain net of the same depth, whose "blocks" are bridged the same way.</param>
/// <param name="Images">Test images every lesioned net is evaluated on.</param>
/// <param name="DeleteCounts">The k of "delete k random blocks" (Fig. 5a).</param>
/// <param name="Draws">Random sets of blocks per k.</param>
/// <param name="PathSamples">Sampled paths per path length (Fig. 6; Veit et al. sample 1,000).</param>
/// <param name="PathImages">Test images in the batch each sampled path's gradient is measured on.</param>
/// <param name="Seed">Seed of the random block sets and paths.</param>
public sealed record LesionPlan(string Title, RunConfig Residual, RunConfig Plain, int Images, IReadOnlyList<int> DeleteCounts, int Draws,
                                int PathSamples, int PathImages, long Seed) : IExperimentPlan
{
    /// <inheritdoc/>
    public IEnumerable<RunConfig> AllRuns => [Plain, Residual];
    /// <inheritdoc/>
    public bool ReadsWeights => true;

    /// <summary>Forward passes (images) the deletions cost: every block of both nets once, plus the random sets; and the path samples (forward + backward).</summary>
    public IReadOnlyDictionary<string, string> Analysis
    {
        get
        {
            var blocks = Residual.Spec.BlocksPerStage.Sum();
            var inv = System.Globalization.CultureInfo.InvariantCulture;
            return new Dictionary<string, string>
            {
                ["test images per evaluation"] = Images.ToString("N0", inv),
                ["single deletions"] = $"{blocks} blocks × 2 nets = {(2L * blocks * Images).ToString("N0", inv)} images forward",
                ["random deletions"] = $"k ∈ {{{string.Join(", ", DeleteCounts)}}} × {Draws} draw(s) = {((long)DeleteCounts.Count * Draws * Images).ToString("N0", inv)} images forward",
                ["path gradients"] = $"lengths 0…{blocks} × {PathSamples} sampled path(s) × {PathImages} images = {((long)(blocks + 1) * PathSamples * PathImages).ToString("N0", inv)} images forward + backward",
            };
        }
    }
}

/// <summary>
/// Notebook 09, filter-normalised loss-landscape slices (Li et al., NeurIPS 2018) of plain-56 and ResNet-56, and the
/// straight line from initialisation (Goodfellow et al. 2015). Grid, line and images scale with the budget.
/// </summary>
/// <param name="Title">Heading shown above the plan.</param>
/// <param name="Plain">plain-56 (notebook 02's run).</param>
/// <param name="Residual">ResNet-56 (notebook 02's run).</param>
/// <param name="GridPoints">Points per axis of the 2-D plane (Li et al.: 51).</param>
/// <param name="Range">The plane and the random line span −Range … +Range (Li et al.: 1).</param>
/// <param name="LinePoints">Points on each 1-D line.</param>
/// <param name="Images">Training images (no augmentation) every point is evaluated on (Li et al.: all 50,000).</param>
/// <param name="Seed">Seed of the random directions.</param>
public sealed record LossLandscapePlan(string Title, RunConfig Plain, RunConfig Residual, int GridPoints, double Range, int LinePoints, int Images, long Seed) : IExperimentPlan
{
    /// <inheritdoc/>
    public IEnumerable<RunConfig> AllRuns => [Plain, Residual];
    /// <inheritdoc/>
    public bool MeasuresSnapshots => true;

    /// <summary>Forward images per net: every grid point and both lines, each on <see cref="Images"/> images.</summary>
    public long ImagesPerNet => ((long)GridPoints * GridPoints + 2L * LinePoints) * Images;

    /// <summary>The compute the slices cost, as shown in the notebook.</summary>
    public IReadOnlyDictionary<string, string> Analysis
    {
        get
        {
            var inv = System.Globalization.CultureInfo.InvariantCulture;
            return new Dictionary<string, string>
            {
                ["2-D plane"] = $"{GridPoints} × {GridPoints} points, α, β ∈ [−{Range.ToString(inv)}, {Range.ToString(inv)}]",
                ["1-D lines"] = $"{LinePoints} points each: initialisation → trained (α ∈ [−0.5, 1.5]) and a random direction",
                ["images per point"] = $"{Images.ToString("N0", inv)} training images (no augmentation)",
                ["cost"] = $"({GridPoints}² + 2 × {LinePoints}) points × {Images.ToString("N0", inv)} images = {ImagesPerNet.ToString("N0", inv)} images forward per net, {(2 * ImagesPerNet).ToString("N0", inv)} for both",
            };
        }
    }
}

/// <summary>
/// What each notebook trains at each budget. <c>full</c> is the paper's experiment (all of Fig. 6's depths, five
/// ResNet-110 seeds); smaller budgets keep the contrast the paper draws (shallowest vs deepest) so a laptop sees it in
/// minutes. Runs shared between notebooks (02 → 06, 05 → 06) have identical configs, so they are trained once.
/// The plans of notebooks 02–05 and 10 are built from their knobs (depths, models, shortcut options, seeds): a knob
/// left out (null) is read from that notebook's knob cell (<see cref="NotebookKnobs"/>), the one place it is declared —
/// so a sweep, the reports planner and the notebook agree.
/// </summary>
public static class Experiments
{
    // The default shortcut is made explicit here, so the plan's run names are the folders training writes.
    static RunConfig Run(string model, Budget budget, ShortcutOption? shortcut = null, long seed = 0) =>
        new() { Model = model, Shortcut = shortcut ?? ModelZoo.Spec(model).DefaultShortcut, Budget = budget, Seed = seed };

    static bool IsFull(Budget b) => b.Name == Budget.Full.Name;

    /// <summary>Every plan of the notebooks at a budget, by name (`resnet sweep --plan`, `resnet results --plan`).</summary>
    public static IReadOnlyDictionary<string, IExperimentPlan> All(Budget b) => new Dictionary<string, IExperimentPlan>
    {
        ["degradation"] = Degradation(b),
        ["shortcut-options"] = ShortcutOptions(b),
        ["bottleneck"] = Bottleneck(b),
        ["very-deep"] = VeryDeep(b),
        ["layer-responses"] = LayerResponses(b),
        ["gradient-flow"] = GradientFlow(b),
        ["preactivation"] = PreActivation(b),
        ["lesions"] = Lesions(b),
        ["loss-landscape"] = LossLandscape(b),
    };

    /// <summary>The notebooks whose knob cells hold the knobs of these plans.</summary>
    public const string DegradationNotebook = "02-degradation", ShortcutOptionsNotebook = "03-shortcut-options",
        BottleneckNotebook = "04-bottleneck", VeryDeepNotebook = "05-very-deep", PreActivationNotebook = "10-preactivation";

    /// <summary>
    /// Notebook 01: your own ResNet-20 — a module the notebook defines, run as <paramref name="name"/> plus its structure
    /// hash (<see cref="Experiment.OwnModel"/>) — beside the library's twin of the same seed.
    /// </summary>
    public static OwnNetPlan YourNet(Budget b, string name = "my-resnet20", string twin = "resnet20", long seed = 0) =>
        new("Your ResNet-20 and the library's twin", new RunConfig { Model = name, Budget = b, Seed = seed },
            Run(twin, b, seed: seed) with { ZeroInitResidual = false });   // your module starts as the paper's, so does its twin

    /// <summary>
    /// Fig. 6 left/middle: plain and residual nets of increasing depth; at <see cref="Budget.Depth"/> the ResNets twice,
    /// zero-init (the budget's recipe) and with the paper's init (<see cref="DegradationPlan.PaperInit"/>). Knobs (null: notebook 02's knob cell): the
    /// <paramref name="depths"/> of the plain nets and their ResNet twins, the twins' <paramref name="shortcut"/> option,
    /// the <paramref name="seed"/> of every run.
    /// </summary>
    public static DegradationPlan Degradation(Budget b, IReadOnlyList<int>? depths = null, ShortcutOption? shortcut = null, long? seed = null)
    {
        var knobs = depths is null || shortcut is null || seed is null ? NotebookKnobs.Of(DegradationNotebook, b) : null;
        depths ??= knobs!.Ints(nameof(depths));
        var option = shortcut ?? knobs!.Shortcut(nameof(shortcut));
        var s = seed ?? knobs!.Long(nameof(seed));
        var residual = depths.Select(d => Run($"resnet{d}", b, option, s)).ToList();
        return new("Degradation: plain vs residual nets by depth (Fig. 6)" + (b.ZeroInitResiduals ? ", ResNets zero-init and with the paper's init" : ""),
            depths.Select(d => Run($"plain{d}", b, seed: s)).ToList(), residual,
            b.ZeroInitResiduals ? residual.Select(r => r with { ZeroInitResidual = false }).ToList() : []);
    }

    /// <summary>
    /// Table 3's question on CIFAR-10: each of <paramref name="models"/> with each shortcut option of
    /// <paramref name="options"/> (null: notebook 03's knobs — A, B, C on 20 layers, and 32 at the full budget).
    /// </summary>
    public static RunsPlan ShortcutOptions(Budget b, IReadOnlyList<string>? models = null, IReadOnlyList<ShortcutOption>? options = null, long? seed = null)
    {
        var knobs = models is null || options is null || seed is null ? NotebookKnobs.Of(ShortcutOptionsNotebook, b) : null;
        models ??= knobs!.Strings(nameof(models));
        options ??= knobs!.Shortcuts(nameof(options));
        var s = seed ?? knobs!.Long(nameof(seed));
        return new("Shortcut options " + string.Join(" / ", options), models.SelectMany(m => options.Select(o => Run(m, b, o, s))).ToList());
    }

    /// <summary>
    /// Fig. 5 on CIFAR-10: a basic and a bottleneck net of similar multiply-adds (null: notebook 04's knobs) — ResNet-20
    /// vs the 29-layer bottleneck net (≈41M each); at the full budget ResNet-110 vs ResNet-164 (≈1.7M parameters each,
    /// the authors' follow-up pair).
    /// </summary>
    public static RunsPlan Bottleneck(Budget b, IReadOnlyList<string>? models = null, long? seed = null)
    {
        var knobs = models is null || seed is null ? NotebookKnobs.Of(BottleneckNotebook, b) : null;
        models ??= knobs!.Strings(nameof(models));
        var s = seed ?? knobs!.Long(nameof(seed));
        return new("Basic vs bottleneck blocks at similar cost", models.Select(m => Run(m, b, seed: s)).ToList());
    }

    /// <summary>
    /// §4.2 very deep nets. ResNet-110 gets the warm-up, one run per seed of <paramref name="seeds"/> (null: notebook
    /// 05's knobs — five at the full budget, as Table 6's mean ± std). ResNet-1202 costs ~60× ResNet-20 per image: below
    /// the full budget it runs a short schedule at a smaller batch, recorded in its run (and shown beside its results) so
    /// nobody mistakes it for the paper's.
    /// </summary>
    public static VeryDeepPlan VeryDeep(Budget b, IReadOnlyList<long>? seeds = null)
    {
        seeds ??= NotebookKnobs.Of(VeryDeepNotebook, b).Longs(nameof(seeds));
        if (seeds.Count == 0) throw new ArgumentException("the very deep plan needs at least one ResNet-110 seed");
        var r110 = seeds.Select(s => Run("resnet110", b, seed: s)).ToList();
        RunConfig r1202;
        int batch;
        if (IsFull(b))
        {
            (r1202, batch) = (Run("resnet1202", b), TrainingRecipe.Paper.BatchSize);
        }
        else
        {
            var small = b.Name == Budget.Smoke.Name
                ? b with { Iterations = 6, EvalEvery = 3, CheckpointEvery = 3, EvalImages = 200 }
                : b with { Iterations = 120, EvalEvery = 20, CheckpointEvery = 20, EvalImages = 500 };
            batch = b.Name == Budget.Smoke.Name ? 16 : 32;
            r1202 = Run("resnet1202", small) with { Recipe = (TrainingRecipe.Paper with { BatchSize = batch }).ScaledTo(small.Iterations) };
        }
        return new("Very deep nets: 110 layers (warm-up) and 1202 layers", r110, [r1202], batch);
    }

    /// <summary>Fig. 7: the nets of notebooks 02 and 05 (plain-20/56, ResNet-20/56/110), measured on test images.</summary>
    public static LayerResponsePlan LayerResponses(Budget b)
    {
        var runs = new[] { "plain20", "plain56", "resnet20", "resnet56", "resnet110" }.Select(m => Run(m, b)).ToList();
        return new("Layer responses (Fig. 7)", runs, Images: b.Name == Budget.Smoke.Name ? 100 : 500);
    }

    /// <summary>
    /// Notebook 08: no training of its own — the runs of <see cref="LayerResponses"/> (notebooks 02 and 05), measured at
    /// every snapshot on one fixed training batch; the line study at initialisation grows with the budget.
    /// </summary>
    public static GradientFlowPlan GradientFlow(Budget b)
    {
        var smoke = b.Name == Budget.Smoke.Name;
        return new("Gradient flow over training, and shattered gradients at initialisation", LayerResponses(b).Runs,
            BatchImages: smoke ? 32 : TrainingRecipe.Paper.BatchSize,
            LineDepths: smoke ? [8, 20] : [20, 56, 110],
            LinePoints: smoke ? 17 : IsFull(b) ? 256 : 64,
            Lines: smoke ? 1 : IsFull(b) ? 8 : 3);
    }

    /// <summary>
    /// Notebook 10: each of <paramref name="originals"/> (null: notebook 10's knobs — ResNet-110, notebook 05's seed-0
    /// run, reused; and at the full budget ResNet-164, notebook 04's run) vs its pre-activation twin — same budget, seed
    /// and warm-up rule (§4.2's, from 110 layers). Pre-activation ResNet-1001 is only estimated.
    /// </summary>
    public static PreActivationPlan PreActivation(Budget b, IReadOnlyList<string>? originals = null, long? seed = null)
    {
        var knobs = originals is null || seed is null ? NotebookKnobs.Of(PreActivationNotebook, b) : null;
        originals ??= knobs!.Strings(nameof(originals));
        var s = seed ?? knobs!.Long(nameof(seed));
        var original = originals.Select(m => Run(m, b, seed: s)).ToList();
        // the twin of each original net is the row of the pre-activation paper's table that names it
        var rows = Paper.IdentityMappingsNumbers.Cifar10;
        var preact = original.Select(r => Run((rows.FirstOrDefault(p => p.Original == r.Model) ?? throw new ArgumentException(
            $"{r.Model} has no pre-activation twin in the pre-activation paper's table (originals: {string.Join(", ", rows.Select(p => p.Original).Distinct())})")).Model,
            b, seed: r.Seed)).ToList();
        return new("Original vs pre-activation residual units (He et al., ECCV 2016)", original, preact, Run("preact-resnet1001", Budget.Full));
    }

    /// <summary>
    /// Notebook 07 (Veit et al. 2016): below the full budget notebook 02's plain-56 and ResNet-56; at full, as their
    /// CIFAR-10 figures, notebook 05's ResNet-110 (seed 0) and a plain-110 (warm-up as ResNet-110, §4.2's rule).
    /// </summary>
    public static LesionPlan Lesions(Budget b)
    {
        var smoke = b.Name == Budget.Smoke.Name;
        var (residual, plain) = IsFull(b) ? (Run("resnet110", b), Run("plain110", b)) : (Run("resnet56", b), Run("plain56", b));
        int[] ks = smoke ? [1, 2, 5, 10, 20] : [1, 2, 3, 4, 5, 6, 8, 10, 12, 14, 16, 18, 20];
        return IsFull(b)
            ? new("Lesion study (Veit et al. 2016): ResNet-110 and plain-110", residual, plain, 10_000, ks, 20, 50, 128, 0)
            : new("Lesion study (Veit et al. 2016): ResNet-56 and plain-56", residual, plain, smoke ? 100 : 1_000, ks, smoke ? 1 : 5,
                  smoke ? 1 : 4, smoke ? 8 : 32, 0);
    }

    /// <summary>Notebook 09 (Li et al. 2018): notebook 02's plain-56 and ResNet-56 at every budget, sliced at a budget-sized grid.</summary>
    public static LossLandscapePlan LossLandscape(Budget b)
    {
        var title = "Loss landscape (Li et al. 2018): plain-56 vs ResNet-56";
        var (plain, residual) = (Run("plain56", b), Run("resnet56", b));
        if (IsFull(b)) return new(title, plain, residual, GridPoints: 51, Range: 1, LinePoints: 51, Images: 50_000, Seed: 0);
        return b.Name == Budget.Smoke.Name
            ? new(title, plain, residual, GridPoints: 5, Range: 1, LinePoints: 9, Images: 100, Seed: 0)
            : new(title, plain, residual, GridPoints: 13, Range: 1, LinePoints: 21, Images: 500, Seed: 0);
    }

    /// <summary>A plan as a table: one row per run with its schedule.</summary>
    public static DataFrame Table(IExperimentPlan plan)
    {
        var runs = plan.AllRuns.ToList();
        return new DataFrame(
            new StringDataFrameColumn("run", runs.Select(r => r.RunName)),
            new StringDataFrameColumn("model", runs.Select(r => r.Model)),
            new StringDataFrameColumn("shortcut", runs.Select(r => r.Shortcut?.ToString() ?? (ModelZoo.TrySpec(r.Model) is not { } spec ? "its own" : spec.Residual ? spec.DefaultShortcut.ToString() : "none"))),
            new Int32DataFrameColumn("iterations", runs.Select(r => r.ResolvedRecipe.Iterations)),
            new Int32DataFrameColumn("batch", runs.Select(r => r.ResolvedRecipe.BatchSize)),
            new StringDataFrameColumn("lr ÷10 at", runs.Select(r => string.Join(", ", r.ResolvedRecipe.Milestones))),
            new StringDataFrameColumn("training images", runs.Select(r => r.Budget.TrainImages?.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) ?? "all")),
            new StringDataFrameColumn("test images", runs.Select(r => r.Budget.EvalImages?.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) ?? "all")),
            new Int64DataFrameColumn("seed", runs.Select(r => r.Seed)));
    }
}
