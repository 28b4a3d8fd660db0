using ResNetLab.Runtime;
using System.Security.Cryptography;
using static TorchSharp.torch;

namespace ResNetLab.Data;

/// <summary>
/// A whole CIFAR dataset in memory as raw bytes: images N×3×32×32 (R, G, B planes, row-major) and one label per
/// image. Read once per process and shared (the notebooks train many models on the same files).
/// </summary>
public sealed class CifarData
{
    /// <summary>A dataset from raw bytes; image bytes must be 3×32×32 per label (checked).</summary>
    /// <param name="format">CIFAR-10 or CIFAR-100.</param>
    /// <param name="trainImages">Training images, N×3×32×32 bytes.</param>
    /// <param name="trainLabels">One label byte per training image.</param>
    /// <param name="testImages">Test images, M×3×32×32 bytes.</param>
    /// <param name="testLabels">One label byte per test image.</param>
    /// <param name="source">Official, mirror or custom: shown on every chart so nobody mistakes mirror pixels for the official ones.</param>
    /// <param name="directory">The folder the files were read from (recorded in run records).</param>
    public CifarData(CifarFormat format, byte[] trainImages, byte[] trainLabels, byte[] testImages, byte[] testLabels,
                     DataSourceKind source, string directory)
    {
        if (trainImages.Length != trainLabels.Length * CifarFormat.ImageBytes || testImages.Length != testLabels.Length * CifarFormat.ImageBytes)
            throw new ArgumentException("image bytes do not match the number of labels");
        (Format, TrainImages, TrainLabels, TestImages, TestLabels, Source, Directory) =
            (format, trainImages, trainLabels, testImages, testLabels, source, directory);
    }

    /// <summary>CIFAR-10 or CIFAR-100: label layout and class count.</summary>
    public CifarFormat Format { get; }
    /// <summary>Training images, N×3×32×32 bytes (R, G, B planes).</summary>
    public byte[] TrainImages { get; }
    /// <summary>Training labels, one byte per image (the fine label for CIFAR-100).</summary>
    public byte[] TrainLabels { get; }
    /// <summary>Test images, N×3×32×32 bytes.</summary>
    public byte[] TestImages { get; }
    /// <summary>Test labels, one byte per image.</summary>
    public byte[] TestLabels { get; }
    /// <summary>Where the pixels came from (official, mirror, custom).</summary>
    public DataSourceKind Source { get; }
    /// <summary>The folder the files were read from.</summary>
    public string Directory { get; }
    /// <summary>Training images (50,000 for the full sets).</summary>
    public int TrainCount => TrainLabels.Length;
    /// <summary>Test images (10,000 for the full sets).</summary>
    public int TestCount => TestLabels.Length;

    /// <summary>
    /// Images <paramref name="start"/> … <paramref name="start"/>+<paramref name="count"/>−1 of the test set (or of the
    /// training set), in file order, as raw bytes N×3×32×32 (uint8, CPU) and int64 labels — the one place a batch is
    /// cut out of the arrays; callers normalise and move it. A range outside the set throws, naming the set's size.
    /// </summary>
    public (Tensor Images, Tensor Labels) Slice(int start, int count, bool training = false)
    {
        var (images, labels) = training ? (TrainImages, TrainLabels) : (TestImages, TestLabels);
        if (start < 0 || count < 1 || start + count > labels.Length)
            throw new ArgumentOutOfRangeException(nameof(count),
                $"images {start} … {start + count - 1} of the {(training ? "training" : "test")} set: it has {labels.Length} (0 … {labels.Length - 1})");
        var x = tensor(images.AsSpan(start * CifarFormat.ImageBytes, count * CifarFormat.ImageBytes).ToArray(),
            [count, CifarFormat.Channels, CifarFormat.Side, CifarFormat.Side], ScalarType.Byte);
        var y = tensor(labels.AsSpan(start, count).ToArray().Select(b => (long)b).ToArray(), ScalarType.Int64);
        return (x, y);
    }

    static readonly Lock Gate = new();
    static (string Key, CifarData Data)? cached;

    /// <summary>
    /// Read and check every file of <paramref name="dir"/> (cached per process while the files are unchanged).
    /// Missing, truncated or corrupt files throw with the file, the expected size and how to fix it — never a short dataset.
    /// </summary>
    public static CifarData Load(string dir, CifarFormat? format = null)
    {
        format ??= CifarFormat.Cifar10;
        dir = Path.GetFullPath(dir);
        var key = CacheKey(dir, format);
        lock (Gate)
        {
            if (cached is { } c && c.Key == key) return c.Data;
            var data = Read(dir, format);
            cached = (key, data);
            return data;
        }
    }

    static string CacheKey(string dir, CifarFormat format) =>
        format.Name + "|" + dir + "|" + string.Join("|", format.Files().Select(f =>
            new FileInfo(Path.Combine(dir, f.Name)) is { Exists: true } i ? $"{i.Length}@{i.LastWriteTimeUtc.Ticks}" : "-"));

    /// <summary>Read without the cache.</summary>
    public static CifarData Read(string dir, CifarFormat format)
    {
        if (!System.IO.Directory.Exists(dir))
            throw new DirectoryNotFoundException($"{format.DisplayName} folder {dir} does not exist; {format.FixHint}");
        var trainImages = new byte[(long)format.TrainRecords * CifarFormat.ImageBytes];
        var trainLabels = new byte[format.TrainRecords];
        for (var i = 0; i < format.TrainFiles.Count; i++)
            ReadFile(Path.Combine(dir, format.TrainFiles[i]), format, format.TrainRecordsPerFile,
                     trainImages.AsSpan(i * format.TrainRecordsPerFile * CifarFormat.ImageBytes),
                     trainLabels.AsSpan(i * format.TrainRecordsPerFile), out _);
        var testImages = new byte[format.TestRecords * CifarFormat.ImageBytes];
        var testLabels = new byte[format.TestRecords];
        ReadFile(Path.Combine(dir, format.TestFile), format, format.TestRecords, testImages, testLabels, out var testSha);
        var source = File.Exists(Path.Combine(dir, DataSource.OfficialMarker)) ? DataSourceKind.Official
            : format == CifarFormat.Cifar10 && DataSource.IsMirrorTestBatch(testSha) ? DataSourceKind.Mirror
            : DataSourceKind.Custom;
        return new CifarData(format, trainImages, trainLabels, testImages, testLabels, source, dir);
    }

    static void ReadFile(string path, CifarFormat format, int records, Span<byte> images, Span<byte> labels, out byte[] sha256)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path} is missing ({format.DisplayName} needs {string.Join(", ", format.Files().Select(f => f.Name))}); {format.FixHint}", path);
        var expected = (long)records * format.RecordBytes;
        var length = new FileInfo(path).Length;
        if (length != expected)
            throw InputFile.Invalid(path, $"has {length:N0} bytes, expected {expected:N0} ({records:N0} records of {format.RecordBytes} bytes): " +
                                           $"truncated or not {format.DisplayName} binary; {format.FixHint}");
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length != expected)
            throw InputFile.Invalid(path, $"changed while being read ({bytes.Length:N0} bytes, expected {expected:N0}); {format.FixHint}");
        sha256 = SHA256.HashData(bytes);
        for (var r = 0; r < records; r++)
        {
            var record = bytes.AsSpan(r * format.RecordBytes, format.RecordBytes);
            var label = record[format.LabelIndex];
            if (label >= format.Classes)
                throw InputFile.Invalid(path, $"record {r:N0} has label {label}, but {format.DisplayName} labels are 0–{format.Classes - 1}: " +
                                               $"the file is corrupt or not {format.DisplayName} binary; {format.FixHint}");
            labels[r] = label;
            record[format.LabelBytes..].CopyTo(images.Slice(r * CifarFormat.ImageBytes, CifarFormat.ImageBytes));
        }
    }
}
