namespace ResNetLab.Data;

/// <summary>The official CIFAR-10 binary layout: five training batches and one test batch of 10,000 records.</summary>
public static class Cifar10Files
{
    /// <summary>Folder name of the CIFAR-10 binary files, as the official archive extracts it.</summary>
    public const string Folder = "cifar-10-batches-bin";

    /// <summary>Bytes of one image: 3 planes of 32×32.</summary>
    public const int ImageBytes = 3 * 32 * 32;
    /// <summary>Bytes of one record: the label byte then the image.</summary>
    public const int RecordBytes = 1 + ImageBytes;       // label byte + R, G, B planes
    /// <summary>Records in each batch file.</summary>
    public const int RecordsPerFile = 10_000;
    /// <summary>Size every batch file must have; anything else is a damaged or partial download.</summary>
    public const long FileBytes = (long)RecordBytes * RecordsPerFile; // 30,730,000

    /// <summary>The five training batch files (50,000 images), in the order they are read.</summary>
    public static readonly string[] TrainFiles = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];
    /// <summary>The test batch file (10,000 images).</summary>
    public const string TestFile = "test_batch.bin";

    /// <summary>Problems with a cifar-10-batches-bin folder (missing or wrongly sized files); empty when it is whole.</summary>
    public static IReadOnlyList<string> Verify(string dir) => CifarFormat.Cifar10.Verify(dir);
}
