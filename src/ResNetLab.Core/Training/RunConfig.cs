using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ResNetLab.Data;
using ResNetLab.Models;

namespace ResNetLab.Training;

/// <summary>
/// What a run is: everything that changes its numbers. Two runs with the same config (same <see cref="Hash"/>) are
/// the same run — a finished one is reused instead of retrained. Device and threads are recorded but not part of
/// the identity (a CPU notebook reuses a GPU run).
/// </summary>
public sealed record RunConfig
{
    /// <summary>Registry name, e.g. resnet20, plain56 (see <c>resnet models</c>).</summary>
    public required string Model { get; init; }

    /// <summary>Null: the model's default (A for CIFAR residual nets, §4.2); must stay null for plain nets.</summary>
    public ShortcutOption? Shortcut { get; init; }

    /// <summary>cifar10 or cifar100.</summary>
    public string Dataset { get; init; } = CifarFormat.Cifar10.Name;

    /// <summary>How much of the schedule: <see cref="Training.Budget.Smoke"/>, <see cref="Training.Budget.Quick"/>, <see cref="Training.Budget.Full"/> (or a custom one).</summary>
    public Budget Budget { get; init; } = Budget.Quick;

    /// <summary>Full (train 50k, test 10k) or validation (45k/5k, §4.2).</summary>
    public DataSplit Split { get; init; } = DataSplit.Full;
    /// <summary>Seeds the initial weights, the batch order, augmentation and the validation split.</summary>
    public long Seed { get; init; }
    /// <summary>Input normalisation: the paper's per-pixel mean subtraction (§4.2) unless an ablation asks for another.</summary>
    public NormalizationKind Normalization { get; init; } = NormalizationKind.Paper;

    /// <summary>§4.2 pad/crop/flip; off only for ablations.</summary>
    public bool Augment { get; init; } = true;

    /// <summary>
    /// float32 (the paper's, the default) or bfloat16 mixed precision (<see cref="ResNetModel.Precision"/>). It changes the
    /// numbers, so it is part of the run's identity — and of its name and hash only when not float32, so every run made
    /// before this field existed keeps its name and hash.
    /// </summary>
    public Precision Precision { get; init; } = Precision.Fp32;

    /// <summary>
    /// This run in <paramref name="precision"/> when it is not float32 (a plan's runs become their bf16 twins); float32
    /// leaves the run as it is. How notebooks (RESNET_PRECISION, <c>Lab.Setup(precision:)</c>), report plans and sweeps
    /// apply a precision to the library's plans.
    /// </summary>
    public RunConfig In(Precision precision) => precision == Precision.Fp32 ? this : this with { Precision = precision };

    /// <summary>Null: the paper's rule (warm up at ≥ 110 layers); true/false force it.</summary>
    public bool? Warmup { get; init; }

    /// <summary>
    /// A departure from the paper's init: every residual branch starts at zero (γ = 0 in its last BN, Goyal et al. 2017;
    /// torchvision's <c>zero_init_residual</c>, ReZero's α = 0), so each block starts as its shortcut. Residual nets only.
    /// Part of the name and hash only when set, so every earlier run keeps both. Unless set, the budget's recipe decides
    /// (<see cref="Training.Budget.ZeroInitResiduals"/>: on for the residual nets of <see cref="Training.Budget.Depth"/>,
    /// off everywhere else); set false to train the paper's init at such a budget.
    /// </summary>
    public bool ZeroInitResidual
    {
        get => zeroInitResidual ?? (Budget.ZeroInitResiduals && ModelZoo.TrySpec(Model) is { Residual: true });
        init => zeroInitResidual = value;
    }
    readonly bool? zeroInitResidual;

    /// <summary>
    /// The structure hash of a module the registry does not know (<see cref="ModuleStructure.Hash"/>; a notebook's own
    /// net, <see cref="Model"/> then being its name): part of the name and hash only when set, so a changed module is a
    /// new run and every registry run keeps both.
    /// </summary>
    public string? Structure { get; init; }

    /// <summary>
    /// The warm-up when it is not §4.2's (a short schedule's gradual ramp, <see cref="WarmupRule.For"/>): part of the
    /// name and hash only then, so every run that warms up the paper's way, or not at all, keeps both.
    /// </summary>
    [JsonIgnore]
    public WarmupRule? FittedWarmup =>
        ModelZoo.TrySpec(Model) is { } spec && WarmupRule.Of(Warmup, spec.Depth, ResolvedRecipe) is { RampIterations: not null } w ? w : null;

    /// <summary>The ways this run departs from the paper's recipe, named for charts and the reports index (empty: none).</summary>
    [JsonIgnore]
    public IReadOnlyList<string> Departures =>
        [.. new[] { ZeroInitResidual ? "zero-init residual branches (γ = 0 in each branch's last BN)" : null, FittedWarmup?.Departure }.OfType<string>()];

    /// <summary>Null: the paper's recipe scaled to the budget. Set to experiment with the schedule itself.</summary>
    public TrainingRecipe? Recipe { get; init; }

    /// <summary>Folder name under runs/; null derives one from the config (<see cref="RunName"/>).</summary>
    public string? Name { get; init; }

    /// <summary>The schedule trained: <see cref="Recipe"/>, else the paper's scaled to the budget.</summary>
    [JsonIgnore]
    public TrainingRecipe ResolvedRecipe => Recipe ?? Budget.Recipe();
    /// <summary>The dataset's file layout and class count (an unknown <see cref="Dataset"/> is an error here).</summary>
    [JsonIgnore]
    public CifarFormat Format => CifarFormat.Parse(Dataset);

    /// <summary>What the network is (depth, block, residual or plain, default shortcut), from the registry — never from the name.</summary>
    [JsonIgnore]
    public ModelSpec Spec => ModelZoo.Spec(Model);

    /// <summary>E.g. resnet20-A-cifar10-quick-s0, plain56-cifar10-full-val-s1.</summary>
    [JsonIgnore]
    public string RunName => Name ?? string.Join("-", new[]
    {
        Model.ToLowerInvariant(), Shortcut?.ToString(), Dataset, Budget.Name,
        Split == DataSplit.Validation ? "val" : null,
        Normalization != NormalizationKind.Paper ? Normalization.ToString().ToLowerInvariant() : null,
        Augment ? null : "noaug",
        Warmup switch { true => "warmup", false => "nowarmup", _ => null },
        FittedWarmup?.NamePart,
        ZeroInitResidual ? "zeroinit" : null,
        Precision == Precision.Fp32 ? null : Precision.Name(),
        Recipe is null ? null : "custom" + Hash[..6],
        Structure?[..Math.Min(6, Structure.Length)],
        $"s{Seed}",
    }.Where(p => p is not null));

    /// <summary>Short SHA-256 of everything that changes the numbers or the metrics rows (resolved budget and recipe included).</summary>
    [JsonIgnore]
    public string Hash
    {
        get
        {
            var identity = new
            {
                model = Model.ToLowerInvariant(), shortcut = Shortcut?.ToString(), dataset = Dataset, split = Split.ToString(), seed = Seed,
                normalization = Normalization.ToString(), augment = Augment, warmup = Warmup, budget = new { Budget.Name, Budget.Iterations, Budget.EvalEvery, Budget.TrainImages, Budget.EvalImages }, recipe = ResolvedRecipe,
            };
            var json = JsonSerializer.Serialize(identity, RunJson.Options);
            if (Precision != Precision.Fp32) json += $"|precision={Precision.Name()}";   // fp32 hashes stay as they were
            if (ZeroInitResidual) json += "|zero-init-residual";   // and so do paper-init ones
            if (FittedWarmup is { RampIterations: { } ramp }) json += $"|warmup-ramp={ramp}";   // and runs warmed up the paper's way
            if (Structure is not null) json += $"|structure={Structure}";   // and every registry net's
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)))[..16];
        }
    }
}
