namespace ResNetLab.Data;

/// <summary>The official CIFAR-10 binary layout: five training batches and one test batch of 10,000 records.</summary>
public static class Cifar10Files
{
    public const int ImageBytes = 3 * 32 * 32;
    public const int RecordBytes = 1 + ImageBytes;       // label byte + R, G, B planes
    public const int RecordsPerFile = 10_000;
    public const long FileBytes = (long)RecordBytes * RecordsPerFile; // 30,730,000

    public static readonly string[] TrainFiles = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];
    public const string TestFile = "test_batch.bin";

    /// <summary>Problems with a cifar-10-batches-bin folder (missing or wrongly sized files); empty when it is whole.</summary>
    public static IReadOnlyList<string> Verify(string dir) => CifarFormat.Cifar10.Verify(dir);
}
