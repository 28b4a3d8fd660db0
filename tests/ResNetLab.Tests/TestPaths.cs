using ResNetLab.Data;
using ResNetLab.Runtime;

namespace ResNetLab.Tests;

/// <summary>Shared test locations: the checkout, fixtures, the real CIFAR-10 folder and scratch folders.</summary>
public static class TestPaths
{
    public static string Root => RepoPaths.Root;
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    /// <summary>The real CIFAR-10 folder (official or the mirror .ci/run builds); tests that need it fail loudly without it.</summary>
    public static string Cifar10
    {
        get
        {
            var dir = DataLocation.ResolveCifar10(null);
            var problems = Cifar10Files.Verify(dir);
            Assert.True(problems.Count == 0,
                $"these tests read the real CIFAR-10 files: {string.Join("; ", problems)}. Run bash environment/setup.sh (or ../shared/data/cifar10/build.sh data).");
            return dir;
        }
    }

    public static string TempDir(string prefix)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"resnetlab-{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }
}
