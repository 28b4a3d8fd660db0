using System.Diagnostics;
using System.Text.Json;
using ResNetLab.Runtime;
using ResNetLab.Training;

namespace ResNetLab.Tests.Training;

/// <summary>Issue 25, item 4: a lock holder killed and left unreaped (a zombie) holds nothing.</summary>
public class ZombieLockTests
{
    [Fact]
    public void A_killed_holder_left_unreaped_is_a_stale_lock()
    {
        var dir = TestPaths.TempDir("zombie-lock");
        // sh starts the holder in the background and execs into a sleep that never waits for it: once the holder is
        // killed, nobody reaps it — what a training left behind by a killed parent shell looks like.
        var parent = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "sleep 300 & echo $!; exec sleep 301"]) { RedirectStandardOutput = true })!;
        try
        {
            var holderPid = int.Parse(parent.StandardOutput.ReadLine()!, System.Globalization.CultureInfo.InvariantCulture);
            // Kill only once the shell has become `sleep 301`: a SIGCHLD that reaches it while it is still the shell (a
            // loaded machine can hold it between `echo` and `exec`) lets it reap the holder, and there is no zombie to judge.
            var execDeadline = DateTime.UtcNow.AddSeconds(10);
            while (!Cmdline(parent.Id).StartsWith("sleep\0301", StringComparison.Ordinal) && DateTime.UtcNow < execDeadline) Thread.Sleep(10);
            Assert.StartsWith("sleep\0301", Cmdline(parent.Id), StringComparison.Ordinal);
            Assert.Equal(parent.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), LocalProcess.StatFields(holderPid)?[1]);   // its parent, field 4
            long started;
            using (var holder = Process.GetProcessById(holderPid)) started = holder.StartTime.ToUniversalTime().Ticks;
            File.WriteAllText(RunLock.PathIn(dir), JsonSerializer.Serialize(
                new RunLockHolder(Environment.MachineName, holderPid, started, DateTime.UtcNow, null), RunJson.Options));
            Assert.Equal(RunLock.LockState.Held, RunLock.Inspect(dir).State);
            Assert.Throws<InvalidOperationException>(() => RunLock.Acquire(dir));

            using (var holder = Process.GetProcessById(holderPid)) holder.Kill();   // SIGKILL; its parent never reaps it
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (LocalProcess.State(holderPid) != 'Z' && DateTime.UtcNow < deadline) Thread.Sleep(20);
            Assert.True(LocalProcess.State(holderPid) == 'Z',
                $"holder {holderPid}: state {LocalProcess.State(holderPid)?.ToString() ?? "gone"}; parent {parent.Id}: '{Cmdline(parent.Id)}', state {LocalProcess.State(parent.Id)?.ToString() ?? "gone"}");
            Assert.False(LocalProcess.IsAlive(holderPid, started));

            Assert.Equal(RunLock.LockState.Stale, RunLock.Inspect(dir).State);
            using (RunLock.Acquire(dir))
                Assert.Equal(Environment.ProcessId, JsonSerializer.Deserialize<RunLockHolder>(File.ReadAllText(RunLock.PathIn(dir)), RunJson.Options)!.Pid);
            Assert.Equal('Z', LocalProcess.State(holderPid));   // judged while still unreaped
        }
        finally
        {
            parent.Kill();
            parent.WaitForExit();
            parent.Dispose();
            Directory.Delete(dir, true);
        }
    }

    static string Cmdline(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline"); }
        catch (IOException) { return ""; }
    }

    [Fact]
    public void A_running_process_is_alive_and_a_recycled_pid_is_not_the_holder()
    {
        using var self = Process.GetCurrentProcess();
        var ticks = self.StartTime.ToUniversalTime().Ticks;
        Assert.True(LocalProcess.IsAlive(Environment.ProcessId, ticks));
        Assert.False(LocalProcess.IsAlive(Environment.ProcessId, ticks - TimeSpan.TicksPerMinute));
        Assert.Contains(LocalProcess.State(Environment.ProcessId)!.Value, "RSD");
    }
}
