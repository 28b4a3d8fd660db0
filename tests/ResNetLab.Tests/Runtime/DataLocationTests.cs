using ResNetLab.Data;

namespace ResNetLab.Tests.Runtime;

[Collection("environment variables")]
public class DataLocationTests
{
    [Fact]
    public void Flag_wins_over_environment_and_parent_folders_are_completed()
    {
        var old = Environment.GetEnvironmentVariable(DataLocation.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(DataLocation.EnvironmentVariable, "/tmp/env-data");
            Assert.Equal("/tmp/flag/cifar-10-batches-bin", DataLocation.ResolveCifar10("/tmp/flag", out var from));
            Assert.Equal("the given path", from);
            Assert.Equal("/tmp/env-data/cifar-10-batches-bin", DataLocation.ResolveCifar10(null, out from));
            Assert.Equal("RESNET_DATA", from);
            Assert.Equal("/tmp/x/cifar-10-batches-bin", DataLocation.ResolveCifar10("/tmp/x/cifar-10-batches-bin/"));
            Environment.SetEnvironmentVariable(DataLocation.EnvironmentVariable, null);
            Assert.Equal(Path.Combine(TestPaths.Root, "data", "cifar-10-batches-bin"), DataLocation.ResolveCifar10(null, out from));
            Assert.StartsWith("data/", from);
        }
        finally { Environment.SetEnvironmentVariable(DataLocation.EnvironmentVariable, old); }
    }

    [Fact]
    public void Verify_names_missing_and_truncated_files()
    {
        var dir = TestPaths.TempDir("verify");
        try
        {
            Assert.Contains("does not exist", Assert.Single(Cifar10Files.Verify(Path.Combine(dir, "nope"))));
            foreach (var f in Cifar10Files.TrainFiles) File.WriteAllBytes(Path.Combine(dir, f), new byte[Cifar10Files.FileBytes]);
            File.WriteAllBytes(Path.Combine(dir, Cifar10Files.TestFile), new byte[1000]);
            var problem = Assert.Single(Cifar10Files.Verify(dir));
            Assert.Contains("test_batch.bin has 1,000 bytes, expected 30,730,000", problem);
            File.Delete(Path.Combine(dir, "data_batch_3.bin"));
            Assert.Contains(Cifar10Files.Verify(dir), p => p.Contains("data_batch_3.bin is missing"));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Real_data_is_whole_and_labelled_honestly()
    {
        var dir = TestPaths.Cifar10;
        var kind = DataSource.Detect(dir);
        Assert.Contains(kind, new[] { DataSourceKind.Mirror, DataSourceKind.Official });
        if (kind == DataSourceKind.Mirror) Assert.Contains("mirror", DataSource.Label(kind));
        Assert.Equal(DataSourceKind.Missing, DataSource.Detect(Path.Combine(dir, "nope")));
    }
}
