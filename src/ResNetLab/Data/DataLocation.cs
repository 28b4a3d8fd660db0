using ResNetLab.Runtime;

namespace ResNetLab.Data;

/// <summary>Where the CIFAR-10 binary folder is: --data flag, then RESNET_DATA, then data/ in the checkout.</summary>
public static class DataLocation
{
    public const string EnvironmentVariable = "RESNET_DATA";
    public const string Cifar10Folder = "cifar-10-batches-bin";

    /// <summary>
    /// Resolve the cifar-10-batches-bin folder. A given path may be the folder itself or its parent.
    /// Returns the path even if it does not exist yet (the downloader fills it); <paramref name="source"/> says why.
    /// </summary>
    public static string ResolveCifar10(string? flag, out string source)
    {
        if (!string.IsNullOrWhiteSpace(flag)) { source = "--data"; return Normalise(flag); }
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env)) { source = EnvironmentVariable; return Normalise(env); }
        source = "data/ (default)";
        return Path.Combine(RepoPaths.TryRoot() ?? Directory.GetCurrentDirectory(), "data", Cifar10Folder);
    }

    public static string ResolveCifar10(string? flag = null) => ResolveCifar10(flag, out _);

    static string Normalise(string path)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        return Path.GetFileName(full) == Cifar10Folder || File.Exists(Path.Combine(full, "test_batch.bin"))
            ? full
            : Path.Combine(full, Cifar10Folder);
    }
}
