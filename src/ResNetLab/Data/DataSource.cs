using System.Security.Cryptography;

namespace ResNetLab.Data;

/// <summary>Where a CIFAR-10 folder's pixels came from — shown on every chart and report that shows accuracy.</summary>
public enum DataSourceKind { Official, Mirror, Unknown, Missing }

public static class DataSource
{
    /// <summary>SHA-256 of test_batch.bin as written by ../shared/data/cifar10/build.sh (its SHA256SUMS).</summary>
    public const string MirrorTestBatchSha256 = "0ce179d0c0a5220739d6223197952896644ceabb648dacfdebd7f06789af543f";

    /// <summary>Marker the downloader writes after verifying the official archive's md5.</summary>
    public const string OfficialMarker = ".resnetlab-official";

    public static DataSourceKind Detect(string cifarDir)
    {
        var test = Path.Combine(cifarDir, Cifar10Files.TestFile);
        if (!File.Exists(test)) return DataSourceKind.Missing;
        if (File.Exists(Path.Combine(cifarDir, OfficialMarker))) return DataSourceKind.Official;
        using var stream = File.OpenRead(test);
        var hash = Convert.ToHexStringLower(SHA256.HashData(stream));
        return hash == MirrorTestBatchSha256 ? DataSourceKind.Mirror : DataSourceKind.Unknown;
    }

    /// <summary>A short honest label, e.g. "CIFAR-10 mirror (JPEG q75, not the official pixels)".</summary>
    public static string Label(DataSourceKind kind) => kind switch
    {
        DataSourceKind.Official => "CIFAR-10 (official archive, md5 verified)",
        DataSourceKind.Mirror => "CIFAR-10 lossy mirror (JPEG q75 pixels, not the official files)",
        DataSourceKind.Unknown => "CIFAR-10 (files of unknown origin)",
        _ => "no CIFAR-10 data",
    };

    public static string Describe(string cifarDir) => Label(Detect(cifarDir));
}
