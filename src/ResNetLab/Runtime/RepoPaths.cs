namespace ResNetLab.Runtime;

/// <summary>Well-known folders of a ResNetNotebooks checkout, found by walking up to ResNetNotebooks.sln.</summary>
public static class RepoPaths
{
    /// <summary>The file that marks a checkout's root.</summary>
    public const string SolutionFile = "ResNetNotebooks.sln";

    /// <summary>The checkout root, or null when running outside one (e.g. a copied publish folder).</summary>
    public static string? TryRoot(string? start = null)
    {
        var env = Environment.GetEnvironmentVariable("RESNET_ROOT");
        if (!string.IsNullOrEmpty(env) && File.Exists(Path.Combine(env, SolutionFile))) return Path.GetFullPath(env);
        foreach (var origin in new[] { start, Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = origin is null ? null : new DirectoryInfo(origin); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, SolutionFile))) return dir.FullName;
        }
        return null;
    }

    /// <summary>The checkout root; outside one, an error that says to run from the checkout or set RESNET_ROOT.</summary>
    public static string Root => TryRoot() ?? throw new DirectoryNotFoundException(
        $"cannot find the ResNetNotebooks checkout ({SolutionFile}) above {Directory.GetCurrentDirectory()}; " +
        "run from inside the repository or set RESNET_ROOT");

    /// <summary>Project-local .NET tools (dotnet-repl, dotnet-interactive) installed by environment/setup.sh.</summary>
    public static string ToolsDir => Path.Combine(Root, ".tools");

    /// <summary>Names the runs folder when none is given.</summary>
    public const string RunsVariable = "RESNET_RUNS";

    /// <summary>Default folder for run records: RESNET_RUNS, else <see cref="DefaultRunsDir"/>.</summary>
    public static string RunsDir =>
        Environment.GetEnvironmentVariable(RunsVariable) is { Length: > 0 } r ? Path.GetFullPath(r) : DefaultRunsDir;

    /// <summary>runs/ in the checkout, else ./runs.</summary>
    public static string DefaultRunsDir => Path.Combine(TryRoot() ?? Directory.GetCurrentDirectory(), "runs");
}
