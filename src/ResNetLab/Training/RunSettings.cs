using ResNetLab.Data;
using ResNetLab.Models;
using ResNetLab.Runtime;

namespace ResNetLab.Training;

/// <summary>
/// What a caller asks for — CLI flags, a notebook's <c>Lab.Setup</c> arguments, a sweep's selection — each null when not
/// given. <see cref="RunSettings.Resolve"/> fills the gaps from the environment and the machine, once.
/// </summary>
/// <param name="Budget">smoke, quick, depth, full or a number of iterations.</param>
/// <param name="Precision">fp32, bf16 or auto.</param>
/// <param name="Data">CIFAR-10 folder or its parent.</param>
/// <param name="Runs">Runs folder.</param>
/// <param name="Threads">libtorch's CPU threads.</param>
/// <param name="Device">cpu, cuda or auto.</param>
public sealed record SettingsRequest(string? Budget = null, string? Precision = null, string? Data = null, string? Runs = null,
                                     int? Threads = null, DeviceChoice Device = DeviceChoice.Auto);

/// <summary>
/// A setting that could not be resolved: <see cref="Setting"/> names it (budget, precision, data, runs, threads) so the
/// CLI can say which flag and a notebook which argument; the message says what was given and what is allowed.
/// </summary>
public sealed class SettingException(string setting, string message, string? variable = null, Exception? inner = null) : ArgumentException(message, inner)
{
    /// <summary>budget, precision, data, runs or threads.</summary>
    public string Setting { get; } = setting;

    /// <summary>The environment variable the bad value came from (e.g. RESNET_BUDGET); null when the caller gave it.</summary>
    public string? Variable { get; } = variable;

    /// <summary>"<paramref name="given"/>: …" or, for a value from the environment, "RESNET_BUDGET (no <paramref name="given"/> given): …".</summary>
    public string Describe(string given) => Variable is null ? $"{given}: {Message}" : $"{Variable} (no {given} given): {Message}";
}

/// <summary>
/// The settings every training entry point runs with — <c>resnet train</c>, <c>sweep</c>, <c>reports</c> and the notebooks
/// — resolved in one place by one rule: what the caller gave, else the environment (RESNET_BUDGET, RESNET_PRECISION,
/// RESNET_DATA, RESNET_RUNS), else the machine's default (budget: full where CUDA trains, quick on a CPU; precision:
/// fp32; data/ and runs/ in the checkout; threads: <see cref="TorchRuntime"/>'s). A report passes the same settings to
/// its notebook kernels through <see cref="ToEnvironment"/>, and the kernels resolve them back by the same rule.
/// </summary>
/// <param name="Budget">How long each run trains.</param>
/// <param name="Precision">The arithmetic of every run (fp32 or bf16; auto already decided).</param>
/// <param name="DataDir">The CIFAR-10 folder (it may not exist yet: the downloader fills it).</param>
/// <param name="DataFrom">Where <paramref name="DataDir"/> came from: the given path, RESNET_DATA or the default.</param>
/// <param name="RunsDir">The runs folder, absolute.</param>
/// <param name="Runtime">Device, threads and versions of the torch runtime these settings brought up.</param>
public sealed record RunSettings(Budget Budget, Precision Precision, string DataDir, string DataFrom, string RunsDir, RuntimeInfo Runtime)
{
    /// <summary>Picks the budget when none is given.</summary>
    public const string BudgetVariable = "RESNET_BUDGET";
    /// <summary>Picks the precision when none is given (fp32, bf16 or auto).</summary>
    public const string PrecisionVariable = "RESNET_PRECISION";
    /// <summary>Names the data folder when none is given (<see cref="DataLocation.EnvironmentVariable"/>).</summary>
    public const string DataVariable = DataLocation.EnvironmentVariable;
    /// <summary>Names the runs folder when none is given (<see cref="RepoPaths.RunsDir"/>).</summary>
    public const string RunsVariable = RepoPaths.RunsVariable;

    /// <summary>
    /// Resolve <paramref name="request"/>: brings the torch runtime up on its device and threads (the CPU/CUDA default of
    /// the budget needs it), then each setting by the rule above. <paramref name="environment"/> (default: the process's)
    /// is read here and nowhere else. A bad value is a <see cref="SettingException"/> naming the setting.
    /// </summary>
    public static RunSettings Resolve(SettingsRequest request, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        string? Given(string? value, string variable) => !string.IsNullOrWhiteSpace(value) ? value : environment(variable) is { Length: > 0 } v ? v : null;

        if (request.Threads is < 1) throw new SettingException("threads", $"{request.Threads} threads: give at least 1");
        var runtime = TorchRuntime.Initialize(request.Device, request.Threads);
        var budget = Setting("budget", request.Budget, BudgetVariable, v => Budget.Parse(v ?? (runtime.CudaAvailable ? Budget.Full : Budget.Quick).Name));
        var precision = Setting("precision", request.Precision, PrecisionVariable, v => Precisions.Parse(v ?? Precision.Fp32.Name()));
        var data = Given(request.Data, DataVariable);
        var dataDir = Setting("data", request.Data, DataVariable, v => DataLocation.Resolve(v, CifarFormat.Cifar10, out _));
        var dataFrom = !string.IsNullOrWhiteSpace(request.Data) ? "the given path" : data is not null ? DataVariable : "data/ (default)";
        var runsDir = Setting("runs", request.Runs, RunsVariable, v => Path.GetFullPath(v ?? RepoPaths.DefaultRunsDir));
        return new RunSettings(budget, precision, dataDir, dataFrom, runsDir, runtime);

        // The given value, else the variable's, else null (the machine's default) — parsed; a bad one names its source.
        T Setting<T>(string setting, string? given, string variable, Func<string?, T> parse)
        {
            var fromEnvironment = string.IsNullOrWhiteSpace(given) && environment(variable) is { Length: > 0 };
            try { return parse(Given(given, variable)); }
            catch (Exception e) when (e is ArgumentException and not SettingException || e is IOException or NotSupportedException)
            {
                throw new SettingException(setting, e.Message, fromEnvironment ? variable : null, e);
            }
        }
    }

    /// <summary>
    /// The variables that make a child process (a report's notebook kernel) resolve these same settings: budget,
    /// precision, data and runs folders. Threads and device stay the child's own (a kernel on the same cores).
    /// </summary>
    public IReadOnlyDictionary<string, string> ToEnvironment() => new Dictionary<string, string>
    {
        [BudgetVariable] = Budget.Key,
        [PrecisionVariable] = Precision.Name(),
        [DataVariable] = DataDir,
        [RunsVariable] = RunsDir,
    };
}
