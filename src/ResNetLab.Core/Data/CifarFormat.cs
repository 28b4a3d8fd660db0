namespace ResNetLab.Data;

/// <summary>
/// One CIFAR binary layout (Krizhevsky 2009): fixed-size records of label byte(s) followed by the R, G, B planes of a
/// 32×32 image. CIFAR-10 is one label byte; CIFAR-100 is coarse then fine label (the paper's §4.2 uses CIFAR-10).
/// </summary>
public sealed record CifarFormat(
    string Name,
    string DisplayName,
    string Folder,
    IReadOnlyList<string> TrainFiles,
    int TrainRecordsPerFile,
    string TestFile,
    int TestRecords,
    int LabelBytes,
    int LabelIndex,
    int Classes,
    string ArchiveUrl,
    string ArchiveMd5)
{
    /// <summary>Image side in pixels (32).</summary>
    public const int Side = 32;
    /// <summary>Colour channels (R, G, B).</summary>
    public const int Channels = 3;
    /// <summary>Bytes of one image: 3 planes of 32×32.</summary>
    public const int ImageBytes = Channels * Side * Side;

    /// <summary>Bytes of one record: label byte(s) then the image.</summary>
    public int RecordBytes => LabelBytes + ImageBytes;
    /// <summary>Training images over all training files (50,000).</summary>
    public int TrainRecords => TrainRecordsPerFile * TrainFiles.Count;
    /// <summary>Size every training file must have.</summary>
    public long TrainFileBytes => (long)RecordBytes * TrainRecordsPerFile;
    /// <summary>Size the test file must have.</summary>
    public long TestFileBytes => (long)RecordBytes * TestRecords;

    /// <summary>CIFAR-10: five training batches, 1 label byte, 10 classes — the paper's §4.2 dataset.</summary>
    public static readonly CifarFormat Cifar10 = new(
        "cifar10", "CIFAR-10", Cifar10Files.Folder, Cifar10Files.TrainFiles, Cifar10Files.RecordsPerFile,
        Cifar10Files.TestFile, Cifar10Files.RecordsPerFile, LabelBytes: 1, LabelIndex: 0, Classes: 10,
        "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz", "c32a1d4ab5d03f1284b67883e8d87530");

    /// <summary>train.bin / test.bin; each record is coarse label, fine label, pixels. We train on the 100 fine labels.</summary>
    public static readonly CifarFormat Cifar100 = new(
        "cifar100", "CIFAR-100", "cifar-100-binary", ["train.bin"], 50_000, "test.bin", 10_000,
        LabelBytes: 2, LabelIndex: 1, Classes: 100,
        "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz", "03b5dce01913d631647c71ecec9e9cb8");

    /// <summary>The supported datasets, for parsing names and listing them.</summary>
    public static IReadOnlyList<CifarFormat> All { get; } = [Cifar10, Cifar100];

    /// <summary>Parse a dataset name (cifar10, cifar100).</summary>
    public static CifarFormat Parse(string? name) =>
        All.FirstOrDefault(f => string.Equals(f.Name, name?.Replace("-", "").Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"dataset '{name}' is not one of: {string.Join(", ", All.Select(f => f.Name))}");

    /// <summary>What to do when the files are missing or damaged (appended to every data error).</summary>
    public string FixHint => this == Cifar10
        ? "fix: `resnet data download` (official archive, needs internet), or RESNET_DATA pointing at a complete " +
          $"{Folder}; offline on the project machines: bash ../shared/data/cifar10/build.sh data"
        : $"fix: `resnet data download` with dataset {Name} (official archive, needs internet), or RESNET_DATA pointing at a complete {Folder}";

    /// <summary>Problems with a folder of this layout (missing or wrongly sized files); empty when it is whole.</summary>
    public IReadOnlyList<string> Verify(string dir)
    {
        if (!Directory.Exists(dir)) return [$"folder {dir} does not exist"];
        var problems = new List<string>();
        foreach (var (name, expected, records) in Files())
        {
            var path = Path.Combine(dir, name);
            if (!File.Exists(path)) problems.Add($"{path} is missing");
            else if (new FileInfo(path).Length is var n && n != expected)
                problems.Add($"{path} has {n:N0} bytes, expected {expected:N0} ({records:N0} records of {RecordBytes} bytes): truncated or not {DisplayName} binary");
        }
        return problems;
    }

    /// <summary>Every file of the layout with its exact size and record count.</summary>
    public IEnumerable<(string Name, long Bytes, int Records)> Files() =>
        TrainFiles.Select(f => (f, TrainFileBytes, TrainRecordsPerFile)).Append((TestFile, TestFileBytes, TestRecords));
}
