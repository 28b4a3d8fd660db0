using ResNetLab.Runtime;

namespace ResNetLab.Data;

/// <summary>Where a CIFAR binary folder is: a given path, then RESNET_DATA, then data/ in the checkout.</summary>
public static class DataLocation
{
    /// <summary>Environment variable naming the data folder (or its parent) when no path is given.</summary>
    public const string EnvironmentVariable = "RESNET_DATA";
    /// <summary>Folder name of the CIFAR-10 binary files, as the official archive extracts it.</summary>
    public const string Cifar10Folder = Cifar10Files.Folder;

    /// <summary>
    /// Resolve the cifar-10-batches-bin folder. A given path may be the folder itself or its parent.
    /// Returns the path even if it does not exist yet (the downloader fills it); <paramref name="source"/> says why.
    /// </summary>
    public static string ResolveCifar10(string? path, out string source) => Resolve(path, CifarFormat.Cifar10, out source);

    /// <summary>The cifar-10-batches-bin folder by the same rules, without saying where it came from.</summary>
    public static string ResolveCifar10(string? path = null) => ResolveCifar10(path, out _);

    /// <summary>The folder of <paramref name="format"/> (cifar-10-batches-bin, cifar-100-binary) by the same rules.</summary>
    public static string Resolve(string? path, CifarFormat format, out string source)
    {
        if (!string.IsNullOrWhiteSpace(path)) { source = "the given path"; return Normalise(path, format); }
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env)) { source = EnvironmentVariable; return Normalise(env, format); }
        source = "data/ (default)";
        return Path.Combine(RepoPaths.TryRoot() ?? Directory.GetCurrentDirectory(), "data", format.Folder);
    }

    static string Normalise(string path, CifarFormat format)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        return Path.GetFileName(full) == format.Folder || File.Exists(Path.Combine(full, format.TestFile))
            ? full
            : Path.Combine(full, format.Folder);
    }
}
