using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ResNetLab.Runtime;

namespace ResNetLab.Training;

/// <summary>Who holds a run folder's lock: written into the lock file so other processes (and nodes) can judge it.</summary>
public sealed record RunLockHolder(string Host, int Pid, long ProcessStartTicks, DateTime AcquiredUtc, string? Job);

/// <summary>
/// One process trains a run folder at a time — across processes and across cluster nodes that share the runs folder.
/// The lock is a file created with O_CREAT|O_EXCL (atomic on local filesystems and on NFSv3+, unlike flock, which
/// Lustre without <c>-o flock</c> ignores and .NET then silently skips) holding the holder's host and pid. The holder
/// refreshes its modification time every <see cref="Heartbeat"/>; a lock is stale when its process is gone or a zombie (same
/// host) or its heartbeat is older than <see cref="StaleAfter"/> (another host: a killed job or a dead node). A stale
/// lock is renamed aside (one taker wins the rename) and the lock is taken afresh.
/// </summary>
public sealed class RunLock : IDisposable
{
    /// <summary>The lock file's name in a run folder.</summary>
    public const string FileName = ".lock";

    /// <summary>How often the holder refreshes the lock file's mtime.</summary>
    public static TimeSpan Heartbeat { get; } = TimeSpan.FromSeconds(30);

    /// <summary>Ten heartbeats: generous against NFS attribute caching and clock skew between nodes.</summary>
    public static TimeSpan StaleAfter { get; } = TimeSpan.FromMinutes(5);

    readonly string path;
    readonly Timer heartbeat;
    bool disposed;

    RunLock(string path)
    {
        this.path = path;
        heartbeat = new Timer(_ => Touch(), null, Heartbeat, Heartbeat);
    }

    /// <summary>The lock file of a run folder.</summary>
    public static string PathIn(string folder) => Path.Combine(folder, FileName);

    /// <summary>Takes the lock of <paramref name="folder"/> (created if missing), or throws naming the holder.</summary>
    public static RunLock Acquire(string folder)
    {
        Directory.CreateDirectory(folder);
        var path = PathIn(folder);
        var me = Self();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                AtomicFile.Guard(path, "the run lock", () =>
                {
                    using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
                    JsonSerializer.Serialize(stream, me, RunJson.Options);
                });
                return new RunLock(path);
            }
            catch (DiskWriteException)
            {
                try { File.Delete(path); }   // an empty lock left by a full disk would hold the folder for StaleAfter
                catch (IOException) { }
                throw;
            }
            catch (IOException) when (File.Exists(path))
            {
                var holder = ReadHolder(path);
                var state = Judge(path, holder);
                if (state == LockState.Free) continue;   // released between our attempts
                if (state == LockState.Held)
                    throw new InvalidOperationException($"{folder} is being trained by another process right now ({Describe(holder)}); " +
                                                        "wait for it, or stop it (it resumes later)");
                // Stale: rename it aside (one taker wins) and check we moved the stale holder's file, not a fresh lock
                // a faster taker created meanwhile; that one goes back. Only two starts of the same run race here.
                var aside = $"{path}.stale.{me.Host}.{me.Pid}";
                try
                {
                    File.Move(path, aside, overwrite: true);
                    if (ReadHolder(aside) is { } moved && moved != holder) File.Move(aside, path, overwrite: false);
                    else File.Delete(aside);
                }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
            }
        }
        throw new InvalidOperationException($"could not take the lock {path} after 5 attempts (another process keeps taking it); try again");
    }

    /// <summary>What a run folder's lock says.</summary>
    public enum LockState
    {
        /// <summary>No lock file.</summary>
        Free,

        /// <summary>A live process (or a recent heartbeat from another host) holds it.</summary>
        Held,

        /// <summary>Its holder is gone: the next trainer takes it over.</summary>
        Stale,
    }

    /// <summary>Whether a run folder is locked by a live holder right now (for `resnet sweep status`).</summary>
    public static (LockState State, RunLockHolder? Holder) Inspect(string folder)
    {
        var path = PathIn(folder);
        var holder = ReadHolder(path);
        return (Judge(path, holder), holder);
    }

    static LockState Judge(string path, RunLockHolder? holder)
    {
        DateTime written;
        try
        {
            if (!File.Exists(path)) return LockState.Free;
            written = File.GetLastWriteTimeUtc(path);
        }
        catch (IOException) { return LockState.Free; }
        if (holder is null)
            // Unreadable: being written this instant, or an old-style empty lock; trust it only while it is fresh.
            return DateTime.UtcNow - written > StaleAfter ? LockState.Stale : LockState.Held;
        if (holder.Host == Environment.MachineName)
            return LocalProcess.IsAlive(holder.Pid, holder.ProcessStartTicks) ? LockState.Held : LockState.Stale;
        return DateTime.UtcNow - written > StaleAfter ? LockState.Stale : LockState.Held;
    }

    static RunLockHolder? ReadHolder(string path)
    {
        try { return JsonSerializer.Deserialize<RunLockHolder>(File.ReadAllText(path), RunJson.Options); }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException) { return null; }
    }

    static RunLockHolder Self()
    {
        using var p = Process.GetCurrentProcess();
        var job = Environment.GetEnvironmentVariable("SLURM_ARRAY_JOB_ID") is { Length: > 0 } a
            ? $"{a}_{Environment.GetEnvironmentVariable("SLURM_ARRAY_TASK_ID")}"
            : Environment.GetEnvironmentVariable("SLURM_JOB_ID");
        return new RunLockHolder(Environment.MachineName, Environment.ProcessId, p.StartTime.ToUniversalTime().Ticks, DateTime.UtcNow, job);
    }

    static string Describe(RunLockHolder? h) => h is null ? "holder unknown"
        : $"pid {h.Pid} on {h.Host}{(h.Job is null ? "" : $", Slurm job {h.Job}")}, since {h.AcquiredUtc.ToString("u", CultureInfo.InvariantCulture)}";

    void Touch()
    {
        try { File.SetLastWriteTimeUtc(path, DateTime.UtcNow); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Stop the heartbeat and delete the lock file, if this process still holds it.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        heartbeat.Dispose();
        // Only our own file: a holder judged stale (e.g. a node cut off for minutes) must not delete its successor's lock.
        if (ReadHolder(path) is { } h && (h.Host, h.Pid) != (Environment.MachineName, Environment.ProcessId)) return;
        try { File.Delete(path); }
        catch (IOException) { }
    }
}
