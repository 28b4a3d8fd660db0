using System.Diagnostics;
using System.Text.Json;
using ResNetLab.Runtime;

namespace ResNetLab.Tests.Runtime;

/// <summary>
/// glibc keeps the memory of freed tensors in the process (NativeHeap): a training step then reuses its heap instead of
/// faulting every activation in anew. Measured in child `resnet bench` processes, with the setting and without it.
/// </summary>
public class NativeHeapTests
{
    [Fact]
    public void A_training_step_reuses_its_memory_instead_of_faulting_it_in_again()
    {
        Assert.True(OperatingSystem.IsLinux(), "this suite runs on Linux (glibc), where the thresholds apply");
        var kept = Bench(optOut: false);
        var returned = Bench(optOut: true);
        Assert.StartsWith("glibc keeps freed memory", kept.Heap);
        Assert.Equal("default allocator (RESNET_NATIVE_HEAP=default)", returned.Heap);
        // the default allocator hands activations back and faults them in again: thousands of pages per step
        Assert.True(returned.FaultsPerStep > 1000, $"default allocator: {returned.FaultsPerStep:N0} faults per step");
        Assert.True(kept.FaultsPerStep * 10 < returned.FaultsPerStep,
            $"kept: {kept.FaultsPerStep:N0} vs default: {returned.FaultsPerStep:N0} minor page faults per ResNet-8 step");
    }

    static (double FaultsPerStep, string Heap) Bench(bool optOut)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "resnet.dll"), "bench", "--model", "resnet8", "--iters", "8", "--threads", "1", "--json" })
            info.ArgumentList.Add(a);
        info.Environment.Remove("GLIBC_TUNABLES");
        if (optOut) info.Environment[NativeHeap.OptOutVariable] = "default";
        else info.Environment.Remove(NativeHeap.OptOutVariable);
        using var p = Process.Start(info)!;
        var output = p.StandardOutput.ReadToEnd();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"resnet bench failed: {error}");
        using var json = JsonDocument.Parse(output);
        return (json.RootElement.GetProperty("minor_faults_per_step").GetDouble(), json.RootElement.GetProperty("native_heap").GetString()!);
    }

    static NativeHeapSetting Decide(bool linux = true, string? tunables = null, bool applies = true, string? optOut = null) =>
        NativeHeap.Decide(linux, tunables, () => applies, optOut);

    [Fact]
    public void The_users_own_setting_wins_and_other_systems_are_left_alone()
    {
        Assert.True(Decide().Applied);
        Assert.Contains("mmap threshold 32 MB, trim threshold 1 GB", Decide().Note);
        Assert.False(Decide(linux: false).Applied);
        Assert.False(Decide(applies: false).Applied);   // a C library without glibc's mallopt (musl refuses)
        var theirs = Decide(tunables: "glibc.malloc.arena_max=2");
        Assert.False(theirs.Applied);
        Assert.Contains("glibc.malloc.arena_max=2", theirs.Note);
        Assert.True(Decide(tunables: "glibc.cpu.hwcaps=-AVX512F").Applied);   // not a malloc tunable
        Assert.False(Decide(optOut: "default").Applied);
        var e = Assert.Throws<ArgumentException>(() => Decide(optOut: "off"));
        Assert.Contains("RESNET_NATIVE_HEAP=off", e.Message);
        Assert.Contains("'default'", e.Message);
    }

    [Fact]
    public void This_process_runs_with_the_setting_and_doctor_says_so()
    {
        TorchRuntime.Initialize(DeviceChoice.Cpu);
        var note = Assert.Single(Diagnostics.Doctor.RunAll(), c => c.Name == "native heap").Detail;
        Assert.Equal(NativeHeap.Setting.Note, note);
        if (OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("GLIBC_TUNABLES") is null && Environment.GetEnvironmentVariable(NativeHeap.OptOutVariable) is null)
            Assert.True(NativeHeap.Setting.Applied, note);
    }
}
