using System.Diagnostics;

namespace ResNetLab.Runtime;

/// <summary>Processes on this machine as the kernel sees them (/proc), for judging locks and progress files.</summary>
public static class LocalProcess
{
    /// <summary>
    /// Is process <paramref name="pid"/> running — not gone, not a zombie, and (when <paramref name="startTicks"/> is
    /// given) the same process that started then? A process killed while its parent is stopped or dead stays a zombie
    /// (/proc state Z, seconds on a loaded machine) until reaped: it holds nothing, but <c>kill(pid, 0)</c> and .NET's
    /// <see cref="Process.HasExited"/> still call it alive (issue 25).
    /// </summary>
    public static bool IsAlive(int pid, long startTicks = 0)
    {
        if (pid <= 0) return false;
        if (State(pid) is { } state && state is 'Z' or 'X' or 'x') return false;
        try
        {
            using var p = Process.GetProcessById(pid);
            if (p.HasExited) return false;
            // A recycled pid belongs to a process that started later than the holder.
            return startTicks == 0 || Math.Abs(p.StartTime.ToUniversalTime().Ticks - startTicks) < TimeSpan.TicksPerSecond;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    /// <summary>The one-letter state of /proc/&lt;pid&gt;/stat (R, S, D, Z, T, …); null where /proc has no such process.</summary>
    public static char? State(int pid) => StatFields(pid) is [{ Length: > 0 } state, ..] ? state[0] : null;

    /// <summary>
    /// The fields of /proc/&lt;pid&gt;/stat from field 3 (state) on — index 0 is field 3, so field N is at N − 3; null
    /// where /proc has no such process. The command name (field 2) is in parentheses and may itself hold spaces or ')':
    /// the fields follow the last one.
    /// </summary>
    public static string[]? StatFields(int pid)
    {
        var stat = Stat(pid);
        var close = stat?.LastIndexOf(')') ?? -1;
        return close >= 0 && close + 2 < stat!.Length ? stat[(close + 2)..].Split(' ') : null;
    }

    /// <summary>/proc/&lt;pid&gt;/stat as text; null when the process (or /proc) does not exist.</summary>
    public static string? Stat(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/stat"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
