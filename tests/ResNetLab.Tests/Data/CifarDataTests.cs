using ResNetLab.Data;

namespace ResNetLab.Tests.Data;

public class CifarDataTests
{
    [Fact]
    public void The_real_dataset_reads_whole_with_balanced_labels_and_an_honest_source()
    {
        var data = CifarData.Load(TestPaths.Cifar10);
        Assert.Equal(50_000, data.TrainCount);
        Assert.Equal(10_000, data.TestCount);
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(5_000, data.TrainLabels.Count(l => l == c)));
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(1_000, data.TestLabels.Count(l => l == c)));
        Assert.Contains(data.Source, new[] { DataSourceKind.Mirror, DataSourceKind.Official });
        Assert.Equal(DataSource.Detect(TestPaths.Cifar10), data.Source);

        // Record 7 of data_batch_2.bin: label byte then 3,072 pixel bytes, in the reader's order.
        var file = File.ReadAllBytes(Path.Combine(TestPaths.Cifar10, "data_batch_2.bin"));
        var offset = 7 * Cifar10Files.RecordBytes;
        Assert.Equal(file[offset], data.TrainLabels[10_007]);
        Assert.True(file.AsSpan(offset + 1, Cifar10Files.ImageBytes).SequenceEqual(data.TrainImages.AsSpan(10_007 * 3072, 3072)));
        Assert.Same(data, CifarData.Load(TestPaths.Cifar10));   // cached per process
    }

    [Fact]
    public void A_slice_is_the_files_bytes_and_labels_and_one_outside_the_set_names_its_size()
    {
        var data = CifarData.Load(TestPaths.Cifar10);
        using var scope = TorchSharp.torch.NewDisposeScope();
        var (test, testLabels) = data.Slice(9_998, 2);
        Assert.Equal(new long[] { 2, 3, 32, 32 }, test.shape);
        Assert.Equal(TorchSharp.torch.ScalarType.Byte, test.dtype);
        Assert.True(test.data<byte>().ToArray().AsSpan().SequenceEqual(data.TestImages.AsSpan(9_998 * 3072, 2 * 3072)));
        Assert.Equal(new long[] { data.TestLabels[9_998], data.TestLabels[9_999] }, testLabels.data<long>().ToArray());

        var (train, trainLabels) = data.Slice(10_007, 1, training: true);
        Assert.True(train.data<byte>().ToArray().AsSpan().SequenceEqual(data.TrainImages.AsSpan(10_007 * 3072, 3072)));
        Assert.Equal(data.TrainLabels[10_007], trainLabels.item<long>());

        Assert.Contains("test set: it has 10000", Assert.Throws<ArgumentOutOfRangeException>(() => data.Slice(9_999, 2)).Message);
        Assert.Contains("training set: it has 50000", Assert.Throws<ArgumentOutOfRangeException>(() => data.Slice(-1, 1, training: true)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Slice(0, 0));
    }

    [Fact]
    public void Missing_truncated_and_corrupt_files_name_the_file_the_expected_size_and_the_fix()
    {
        var dir = TestPaths.TempDir("cifar-bad");
        var format = SyntheticCifar.Small10;
        try
        {
            Assert.Contains("does not exist", Assert.Throws<DirectoryNotFoundException>(() => CifarData.Read(Path.Combine(dir, "nope"), format)).Message);

            SyntheticCifar.Write(dir, format);
            var whole = CifarData.Read(dir, format);
            Assert.Equal(100, whole.TrainCount);
            Assert.Equal(DataSourceKind.Custom, whole.Source);

            var batch3 = Path.Combine(dir, "data_batch_3.bin");
            var bytes = File.ReadAllBytes(batch3);
            File.WriteAllBytes(batch3, bytes[..^100]);
            var truncated = Assert.Throws<InvalidDataException>(() => CifarData.Read(dir, format)).Message;
            Assert.Contains("data_batch_3.bin", truncated);
            Assert.Contains($"expected {format.TrainFileBytes:N0}", truncated);
            Assert.Contains("resnet data download", truncated);

            var corrupt = bytes.ToArray();
            corrupt[5 * format.RecordBytes] = 200;   // label byte of record 5
            File.WriteAllBytes(batch3, corrupt);
            var bad = Assert.Throws<InvalidDataException>(() => CifarData.Read(dir, format)).Message;
            Assert.Contains("data_batch_3.bin: record 5 has label 200", bad);

            File.Delete(batch3);
            var missing = Assert.Throws<FileNotFoundException>(() => CifarData.Read(dir, format)).Message;
            Assert.Contains("data_batch_3.bin is missing", missing);
            Assert.Contains("fix:", missing);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Cifar100_reads_the_fine_label_and_an_official_marker_is_reported()
    {
        var dir = TestPaths.TempDir("cifar100");
        var format = SyntheticCifar.Small100;
        try
        {
            SyntheticCifar.Write(dir, format);
            var data = CifarData.Read(dir, format);
            Assert.Equal(40, data.TrainCount);
            Assert.Equal(Enumerable.Range(0, 40).Select(r => (byte)(r % 100)), data.TrainLabels);
            Assert.Equal(3, data.TrainImages[3 * 3072]);   // pixels follow both label bytes
            File.WriteAllText(Path.Combine(dir, DataSource.OfficialMarker), "{}");
            Assert.Equal(DataSourceKind.Official, CifarData.Read(dir, format).Source);
            Assert.Equal(DataSourceKind.Official, DataSource.Detect(dir, format));
        }
        finally { Directory.Delete(dir, true); }
    }
}
