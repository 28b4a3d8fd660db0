using System.Diagnostics;

namespace ResNetLab.Tests.Robustness;

/// <summary>`resnet eval --pytorch` on damaged files, as a user meets them: exit 2 and one line naming the file, no stack trace.</summary>
public class CliCorruptFileTests
{
    static (int Code, string Output) Resnet(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "resnet.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["COLUMNS"] = "400";
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2))) { p.Kill(true); throw new TimeoutException("resnet eval took over 2 minutes"); }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    [Fact]
    public void Eval_of_a_damaged_weights_file_exits_2_naming_the_file()
    {
        _ = TestPaths.Cifar10;   // eval reads the test set first
        var dir = TestPaths.TempDir("cli-corrupt");
        try
        {
            var legacy = File.ReadAllBytes(TestPaths.Fixture("resnet8_b_legacy.pt"));
            var zip = File.ReadAllBytes(TestPaths.Fixture("resnet8_a_checkpoint.pt"));
            var damaged = new Dictionary<string, byte[]>
            {
                ["legacy-bad-size.pt"] = Damage(legacy, 301, 0xef),   // conv1.weight size (16, 3, 3, 3) → (239, …): beyond its storage
                ["zip-truncated.pt"] = zip[..(zip.Length / 2)],
                ["zip-flipped.pt"] = Damage(zip, zip.Length / 2, (byte)(zip[zip.Length / 2] ^ 0x40)),   // inside a stored tensor
            };
            foreach (var (name, bytes) in damaged)
            {
                var path = Path.Combine(dir, name);
                File.WriteAllBytes(path, bytes);
                var (code, output) = Resnet("eval", "--pytorch", path, "--model", "resnet8", "--shortcut", name.StartsWith("zip") ? "A" : "B",
                                            "--normalize", "cifar");
                Assert.True(code == 2, $"{name}: exit {code}\n{output}");
                Assert.Contains($"error: {path}:", output.ReplaceLineEndings(""));
                Assert.DoesNotContain("   at ", output);
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    static byte[] Damage(byte[] original, int at, byte value)
    {
        var copy = original.ToArray();
        copy[at] = value;
        return copy;
    }
}
