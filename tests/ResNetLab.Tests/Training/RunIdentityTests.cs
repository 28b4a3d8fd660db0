using ResNetLab.Models;
using ResNetLab.Training;

namespace ResNetLab.Tests.Training;

/// <summary>
/// Run names and config hashes are the identity of runs already on disk (and on clusters): a finished run is reused
/// only if both still match. Pinned when the run layer was redesigned (the hashing code and its inputs unchanged since
/// f515de0), so a later refactor cannot silently orphan existing runs.
/// </summary>
public class RunIdentityTests
{
    [Theory]
    [InlineData("resnet20", null, "quick", 0L, "resnet20-A-cifar10-quick-s0", "9bf5e9a8d65df50e")]
    [InlineData("plain56", null, "full", 1L, "plain56-cifar10-full-s1", "8273d20b7a6a4e04")]
    [InlineData("resnet110", ShortcutOption.B, "smoke", 3L, "resnet110-B-cifar10-smoke-s3", "23d3b03986b67f53")]
    public void Names_and_hashes_of_existing_runs_are_unchanged(string model, ShortcutOption? shortcut, string budget, long seed,
                                                                 string name, string hash)
    {
        var config = Experiment.Resolve(new RunConfig { Model = model, Shortcut = shortcut, Budget = Budget.Parse(budget), Seed = seed });
        Assert.Equal((name, hash), (config.RunName, config.Hash));
    }

    [Fact]
    public void Bf16_is_a_different_run_named_as_such_and_fp32_keeps_its_identity()
    {
        var fp32 = Experiment.Resolve(new RunConfig { Model = "resnet20", Budget = Budget.Quick });
        var bf16 = fp32 with { Precision = Precision.Bf16 };
        Assert.Equal("resnet20-A-cifar10-quick-bf16-s0", bf16.RunName);
        Assert.NotEqual(fp32.Hash, bf16.Hash);
        Assert.Equal("9bf5e9a8d65df50e", (fp32 with { Precision = Precision.Fp32 }).Hash);
    }

    [Fact]
    public void Zero_init_is_a_named_departure_and_paper_init_keeps_its_identity()
    {
        var paper = Experiment.Resolve(new RunConfig { Model = "resnet56", Budget = Budget.Parse("3200"), Precision = Precision.Bf16 });
        var zero = Experiment.Resolve(paper with { ZeroInitResidual = true });
        Assert.Equal("resnet56-A-cifar10-3200it-zeroinit-bf16-s0", zero.RunName);
        Assert.NotEqual(paper.Hash, zero.Hash);
        Assert.Empty(paper.Departures);
        Assert.Contains("zero-init", Assert.Single(zero.Departures));
        Assert.Equal("9bf5e9a8d65df50e", Experiment.Resolve(new RunConfig { Model = "resnet20", Budget = Budget.Quick, ZeroInitResidual = false }).Hash);
        var plain = Assert.Throws<ArgumentException>(() => Experiment.Resolve(new RunConfig { Model = "plain56", ZeroInitResidual = true }));
        Assert.Contains("plain56 is a plain network", plain.Message);
    }

    [Theory]
    [InlineData(null, true, Precision.Fp32)]
    [InlineData("fp32", true, Precision.Fp32)]
    [InlineData("bf16", false, Precision.Bf16)]
    [InlineData("auto", true, Precision.Bf16)]
    [InlineData("auto", false, Precision.Fp32)]
    public void Precision_choices_parse_and_auto_follows_the_cpu(string? text, bool nativeBf16, Precision expected) =>
        Assert.Equal(expected, Precisions.Parse(text, nativeBf16));

    [Fact]
    public void An_unknown_precision_names_the_choices() =>
        Assert.Contains("fp32, bf16, auto", Assert.Throws<ArgumentException>(() => Precisions.Parse("fp8", true)).Message);
}
