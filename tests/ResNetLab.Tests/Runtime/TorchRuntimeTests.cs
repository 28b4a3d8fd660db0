using ResNetLab.Diagnostics;
using ResNetLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNetLab.Tests.Runtime;

public class TorchRuntimeTests
{
    [Fact]
    public void Auto_picks_cpu_without_cuda_and_cuda_with_it()
    {
        Assert.Equal(DeviceType.CPU, TorchRuntime.ResolveDevice(DeviceChoice.Auto, cudaAvailable: false));
        Assert.Equal(DeviceType.CUDA, TorchRuntime.ResolveDevice(DeviceChoice.Auto, cudaAvailable: true));
    }

    [Fact]
    public void Explicit_choice_wins_and_missing_cuda_is_a_clear_error()
    {
        Assert.Equal(DeviceType.CPU, TorchRuntime.ResolveDevice(DeviceChoice.Cpu, cudaAvailable: true));
        var e = Assert.Throws<InvalidOperationException>(() => TorchRuntime.ResolveDevice(DeviceChoice.Cuda, cudaAvailable: false));
        Assert.Contains("device cuda was requested", e.Message);
        Assert.Contains("TorchBackend=cuda", e.Message);
    }

    [Theory]
    [InlineData("cpu", DeviceChoice.Cpu)]
    [InlineData("CUDA", DeviceChoice.Cuda)]
    [InlineData(null, DeviceChoice.Auto)]
    [InlineData("auto", DeviceChoice.Auto)]
    public void Device_flag_parses(string? text, DeviceChoice expected) => Assert.Equal(expected, TorchRuntime.ParseDevice(text));

    [Fact]
    public void Bad_device_names_the_value_and_the_choices()
    {
        var e = Assert.Throws<ArgumentException>(() => TorchRuntime.ParseDevice("tpu"));
        Assert.Contains("device 'tpu' is not one of: auto, cpu, cuda", e.Message);
    }

    [Fact]
    public void Seeding_makes_random_draws_repeat()
    {
        TorchRuntime.Initialize(DeviceChoice.Cpu, seed: 123);
        using var a = randn(5);
        TorchRuntime.Seed(123);
        using var b = randn(5);
        Assert.True(a.allclose(b, rtol: 0, atol: 0));
    }

    [Fact]
    public void Info_reports_versions_and_natives_come_from_this_build_not_the_system()
    {
        var info = TorchRuntime.Initialize(DeviceChoice.Cpu);
        Assert.Equal("0.107.0", info.TorchSharpVersion);
        Assert.StartsWith("2.10", info.LibTorchVersion);
        Assert.Equal("cpu", info.Device);
        Assert.NotNull(info.NativeDirectory);
        var loaded = Doctor.MappedLibraries().Where(p => p.EndsWith("/libtorch_cpu.so", StringComparison.Ordinal)).ToList();
        Assert.Single(loaded);
        Assert.StartsWith(info.NativeDirectory!, loaded[0]);
        Assert.DoesNotContain("/usr/lib", loaded[0]);
    }

    [Fact]
    public void Threads_flag_is_validated()
    {
        var before = get_num_threads();
        Assert.Throws<ArgumentOutOfRangeException>(() => TorchRuntime.Initialize(DeviceChoice.Cpu, threads: 0));
        Assert.Equal(before, get_num_threads());
    }
}
