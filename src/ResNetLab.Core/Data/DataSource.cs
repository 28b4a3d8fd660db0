using System.Security.Cryptography;

namespace ResNetLab.Data;

/// <summary>
/// Where a CIFAR folder's pixels came from — recorded in every run and shown on every chart and report with accuracy.
/// Official: extracted by our downloader from the md5-verified archive. Mirror: the lossy JPEG rebuild of
/// ../shared/data/cifar10 (its SHA256SUMS). Custom: anything else (e.g. official files copied by hand — unverified).
/// </summary>
public enum DataSourceKind
{
    /// <summary>Extracted by the downloader from the md5-verified official archive.</summary>
    Official,

    /// <summary>The lossy JPEG rebuild (not the official pixels).</summary>
    Mirror,

    /// <summary>Anything else, e.g. official files copied by hand (unverified).</summary>
    Custom,

    /// <summary>No test batch in the folder: nothing to train or evaluate on.</summary>
    Missing,
}

/// <summary>Tells official, mirror and custom CIFAR files apart, and labels them honestly for charts and records.</summary>
public static class DataSource
{
    /// <summary>SHA-256 of test_batch.bin as written by ../shared/data/cifar10/build.sh (its SHA256SUMS).</summary>
    public const string MirrorTestBatchSha256 = "0ce179d0c0a5220739d6223197952896644ceabb648dacfdebd7f06789af543f";

    /// <summary>Marker the downloader writes after verifying the official archive's md5.</summary>
    public const string OfficialMarker = ".resnetlab-official";

    /// <summary>Where the CIFAR-10 files in <paramref name="cifarDir"/> came from.</summary>
    public static DataSourceKind Detect(string cifarDir) => Detect(cifarDir, CifarFormat.Cifar10);

    /// <summary>Where the files of <paramref name="format"/> in <paramref name="dir"/> came from: official marker, mirror test-batch hash, else custom; missing when absent.</summary>
    public static DataSourceKind Detect(string dir, CifarFormat format)
    {
        var test = Path.Combine(dir, format.TestFile);
        if (!File.Exists(test)) return DataSourceKind.Missing;
        if (File.Exists(Path.Combine(dir, OfficialMarker))) return DataSourceKind.Official;
        if (format != CifarFormat.Cifar10) return DataSourceKind.Custom;
        using var stream = File.OpenRead(test);
        return IsMirrorTestBatch(SHA256.HashData(stream)) ? DataSourceKind.Mirror : DataSourceKind.Custom;
    }

    /// <summary>Whether a test batch's SHA-256 is the lossy mirror's (its SHA256SUMS).</summary>
    public static bool IsMirrorTestBatch(ReadOnlySpan<byte> sha256) => Convert.ToHexStringLower(sha256) == MirrorTestBatchSha256;

    /// <summary>The lower-case name stored in run records: official, mirror, custom.</summary>
    public static string Name(DataSourceKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>A short honest label, e.g. "CIFAR-10 mirror (JPEG q75, not the official pixels)".</summary>
    public static string Label(DataSourceKind kind) => Label(kind, CifarFormat.Cifar10);

    /// <summary>A short honest label for <paramref name="format"/> from <paramref name="kind"/>, shown on charts and in run records.</summary>
    public static string Label(DataSourceKind kind, CifarFormat format) => kind switch
    {
        DataSourceKind.Official => $"{format.DisplayName} (official archive, md5 verified)",
        DataSourceKind.Mirror => $"{format.DisplayName} lossy mirror (JPEG q75 pixels, not the official files)",
        DataSourceKind.Custom => $"{format.DisplayName} (custom files: neither the verified official archive nor the mirror)",
        _ => $"no {format.DisplayName} data",
    };

    /// <summary>The label of the CIFAR-10 files in <paramref name="cifarDir"/>.</summary>
    public static string Describe(string cifarDir) => Label(Detect(cifarDir));
}
