using System.Diagnostics;
using ResNetLab.Runtime;

namespace ResNetLab.Tests.Runtime;

/// <summary>Issue 25, item 3: trainings share the cores — passive OpenMP waiting, thread counts with the others in view.</summary>
public class CoreShareTests
{
    [Fact]
    public void Libtorch_starts_with_passive_OpenMP_waiting()
    {
        TorchRuntime.Initialize(DeviceChoice.Cpu);
        // In the native environment libgomp reads, not only in .NET's copy of it.
        Assert.Equal(Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "PASSIVE", CoreShare.NativeWaitPolicy());
        Assert.Equal("PASSIVE", CoreShare.NativeWaitPolicy(), ignoreCase: true);
        var checks = Diagnostics.Doctor.RunAll();
        Assert.True(checks.Any(c => c.Name is "threads" && c.Detail.Contains("OMP_WAIT_POLICY=PASSIVE")),
            "no doctor line says OMP_WAIT_POLICY=PASSIVE: " + string.Join(" | ", checks.Select(c => $"{c.Name} {c.Status}: {c.Detail}")));
    }

    [Theory]
    [InlineData(2, 0, 2)]
    [InlineData(2, 1, 1)]
    [InlineData(2, 3, 1)]
    [InlineData(8, 1, 4)]
    [InlineData(16, 3, 4)]
    public void The_default_is_a_fair_share(int cores, int others, int threads) => Assert.Equal(threads, CoreShare.FairShare(cores, others));

    [Fact]
    public void A_busy_libtorch_process_is_seen_and_a_stopped_one_is_not()
    {
        // A second training as far as the cores are concerned: `resnet bench` with a long timed loop.
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "resnet.dll"), "bench", "--model", "resnet8", "--iters", "100000", "--threads", "1", "--json" })
            info.ArgumentList.Add(a);
        using var bench = Process.Start(info)!;
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            IReadOnlyList<Neighbour> seen = [];
            while (DateTime.UtcNow < deadline && !seen.Any(n => n.Pid == bench.Id)) seen = CoreShare.OtherTrainings(TimeSpan.FromMilliseconds(500));
            var other = Assert.Single(seen, n => n.Pid == bench.Id);
            Assert.InRange(other.BusyCores, CoreShare.BusyThreshold, Environment.ProcessorCount + 0.5);
            Assert.Contains("resnet.dll bench", other.Command);
            var decision = new CoreShareDecision(2, [other], CoreShare.FairShare(2, 1));
            Assert.Contains($"another training holds the cores (pid {bench.Id}", decision.Note);
            Assert.EndsWith("1 torch thread of 2 for this one (an explicit thread count overrides)", decision.Note);

            Assert.Equal(0, Kill(bench.Id, 19));   // SIGSTOP: libtorch still mapped, no core used
            Thread.Sleep(200);
            Assert.DoesNotContain(CoreShare.OtherTrainings(TimeSpan.FromMilliseconds(500)), n => n.Pid == bench.Id);
        }
        finally
        {
            bench.Kill();
            bench.WaitForExit();
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    static extern int Kill(int pid, int signal);
}
