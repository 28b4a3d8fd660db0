using ResNetLab.Data;

namespace ResNetLab.Tests.Data;

/// <summary>Small CIFAR-layout folders written by the tests (same record format, fewer records per file).</summary>
public static class SyntheticCifar
{
    public static CifarFormat Small10 { get; } = CifarFormat.Cifar10 with { TrainRecordsPerFile = 20, TestRecords = 30 };
    public static CifarFormat Small100 { get; } = CifarFormat.Cifar100 with { TrainRecordsPerFile = 40, TestRecords = 25 };

    /// <summary>Write every file of <paramref name="format"/> into <paramref name="dir"/>: record r of a file has label r % classes
    /// and pixels (r + file) % 251.</summary>
    public static void Write(string dir, CifarFormat format, int seed = 0)
    {
        Directory.CreateDirectory(dir);
        var f = 0;
        foreach (var (name, _, records) in format.Files())
        {
            var bytes = new byte[(long)records * format.RecordBytes];
            for (var r = 0; r < records; r++)
            {
                var record = bytes.AsSpan(r * format.RecordBytes, format.RecordBytes);
                for (var l = 0; l < format.LabelBytes; l++) record[l] = (byte)((r + seed) % format.Classes);
                if (format.LabelBytes == 2) record[0] = (byte)(r % 20);  // CIFAR-100 coarse label
                record[format.LabelBytes..].Fill((byte)((r + f + seed) % 251));
            }
            File.WriteAllBytes(Path.Combine(dir, name), bytes);
            f++;
        }
    }
}
