namespace ResNetLab.Training;

/// <summary>
/// How much of the paper's schedule a run gets. One code path for all: <see cref="Full"/> is §4.2 as published;
/// <see cref="Quick"/> keeps its shape (decays at ½ and ¾) over enough iterations for the degradation of deep plain
/// nets to show, minutes per model on a laptop CPU; <see cref="Smoke"/> proves the machinery in CI.
/// </summary>
/// <param name="TrainImages">Training images used (a seeded subset); null for the whole split.</param>
/// <param name="EvalImages">Evaluation images used (the first of the set, the same for every seed); null for all.</param>
/// <param name="Name">full, quick, smoke or e.g. 3200it: the word in run names and hashes (<see cref="Key"/> is what users type).</param>
/// <param name="Iterations">Training iterations (64k at full, §4.2).</param>
/// <param name="EvalEvery">Iterations between metrics rows (test evaluations).</param>
/// <param name="CheckpointEvery">Iterations between checkpoints: what a killed run loses at most.</param>
/// <param name="Purpose">One line on what the budget is for and what it costs, shown in listings.</param>
public sealed record Budget(string Name, int Iterations, int EvalEvery, int CheckpointEvery, int? TrainImages, int? EvalImages, string Purpose)
{
    /// <summary>§4.2 as published: 64k iterations at batch 128, evaluating on all 10k test images.</summary>
    public static Budget Full { get; } = new("full", TrainingRecipe.Paper.Iterations, EvalEvery: 1_000, CheckpointEvery: 1_000,
        TrainImages: null, EvalImages: null, "the paper's schedule (64k iterations); hours per model on a CPU");

    /// <summary>The paper's schedule shape over 800 iterations: the default on a CPU.</summary>
    public static Budget Quick { get; } = new("quick", 800, EvalEvery: 50, CheckpointEvery: 100,
        TrainImages: null, EvalImages: 2_000, "the paper's schedule shape over 800 iterations; minutes per model on a laptop CPU");

    /// <summary>CI: 40 iterations on 2,560 images, enough to prove the machinery end to end.</summary>
    public static Budget Smoke { get; } = new("smoke", 40, EvalEvery: 20, CheckpointEvery: 10,
        TrainImages: 2_560, EvalImages: 500, "CI: 40 iterations on 2,560 images; about a minute for resnet20");

    /// <summary>
    /// The depth recipe (issue 23's search, measured in docs/results.md): 3,200 iterations of the paper's schedule shape
    /// with every residual branch starting at zero (<see cref="ZeroInitResiduals"/>) — the shortest recipe measured here
    /// in which ResNet-56 ends below ResNet-20 in training error (two seeds each) while plain-56 stays far above
    /// plain-20. Its runs are named and hashed like <c>--budget 3200</c> (with <c>--zero-init</c> for ResNets), so the search's runs are reused.
    /// </summary>
    public static Budget Depth { get; } = OfIterations(3_200) with
    {
        Alias = "depth", ZeroInitResiduals = true,
        Purpose = "3,200 iterations of the paper's schedule shape, ResNets starting every branch at zero (a departure): where ResNet-56 trains better than ResNet-20 on a CPU; about an hour per 56-layer net",
    };

    /// <summary>What users type and what is passed on (--budget, RESNET_BUDGET, reports): a named recipe's own word (depth), else <see cref="Name"/>.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Key => Alias ?? Name;

    /// <summary>A named recipe's own word when its runs are named by <see cref="Name"/> (depth: runs of 3200it); null for the others.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? Alias { get; init; }

    /// <summary>
    /// A departure from the paper that comes with this budget: every residual net of its runs starts each branch at zero
    /// (<see cref="RunConfig.ZeroInitResidual"/>'s default); plain nets keep the paper's init. Only <see cref="Depth"/>.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool ZeroInitResiduals { get; init; }

    /// <summary>The ways this budget's runs depart from the paper's recipe, named for chart subtitles and the reports index (empty: none).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<string> Departures => ZeroInitResiduals ? ["ResNets start every residual branch at zero (γ = 0 in its last BN)"] : [];

    /// <summary>The paper's own schedule (<see cref="Full"/>): what notebook knobs test to pick the paper's run list.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsFull => Name == Full.Name;

    /// <summary>The named budgets, longest to shortest.</summary>
    public static IReadOnlyList<Budget> All { get; } = [Full, Depth, Quick, Smoke];

    /// <summary>
    /// The budget named full, depth, quick or smoke (case-insensitive), or a number of iterations ("3200" or "3200it",
    /// <see cref="OfIterations"/>: the paper's recipe, never a named recipe's departures); anything else is an error listing them.
    /// </summary>
    public static Budget Parse(string? name)
    {
        var text = name?.Trim() ?? "";
        if (All.FirstOrDefault(b => string.Equals(b.Key, text, StringComparison.OrdinalIgnoreCase)) is { } named) return named;
        var digits = text.EndsWith("it", StringComparison.OrdinalIgnoreCase) ? text[..^2] : text;
        if (digits.Length > 0 && digits.All(char.IsAsciiDigit) && int.TryParse(digits, out var iterations)) return OfIterations(iterations);
        throw new ArgumentException($"budget '{name}' is not one of: {string.Join(", ", All.Select(b => b.Key))}, or a number of iterations ({MinIterations:N0}–{Full.Iterations:N0}, e.g. 3200)");
    }

    /// <summary>The fewest iterations of a custom budget: enough for the schedule's 16 evaluations to be distinct.</summary>
    public const int MinIterations = 100;

    /// <summary>
    /// The paper's schedule shape over <paramref name="iterations"/> iterations on all training images, evaluated 16
    /// times on the first 2,000 test images like <see cref="Quick"/> — for questions between quick and full (how long
    /// must a CPU train before ResNet-56 overtakes ResNet-20?). Named "3200it"; its runs are their own folders.
    /// </summary>
    public static Budget OfIterations(int iterations)
    {
        if (iterations < MinIterations || iterations > Full.Iterations)
            throw new ArgumentException($"budget of {iterations:N0} iterations: a number of iterations must be {MinIterations:N0}–{Full.Iterations:N0}");
        var named = new[] { Full, Quick, Smoke }.FirstOrDefault(b => b.Iterations == iterations && b.TrainImages is null && b.EvalImages == Quick.EvalImages);
        if (named is not null) return named;   // 800 is quick
        return new($"{iterations}it", iterations, EvalEvery: Math.Max(1, iterations / 16), CheckpointEvery: Math.Max(1, iterations / 8),
            TrainImages: null, EvalImages: Quick.EvalImages, $"the paper's schedule shape over {iterations:N0} iterations (custom)");
    }

    /// <summary>The paper's recipe scaled to this budget.</summary>
    public TrainingRecipe Recipe(TrainingRecipe? paper = null) => (paper ?? TrainingRecipe.Paper).ScaledTo(Iterations);
}
