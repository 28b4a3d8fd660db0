namespace ResNetLab.Runtime;

/// <summary>This process's memory as the kernel counts it: run records and `resnet bench` report it.</summary>
public static class ProcessMemory
{
    /// <summary>Resident set size and its peak (VmRSS, VmHWM) in KiB; zeros where /proc is absent (macOS, Windows).</summary>
    public static (long Current, long Peak) Rss()
    {
        if (!File.Exists("/proc/self/status")) return (0, 0);
        long current = 0, peak = 0;
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) current = ParseKb(line);
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = ParseKb(line);
        }
        return (current, peak);
    }

    /// <summary>
    /// Minor page faults of this process so far (/proc/self/stat field 10): each is a page the kernel had to map (and
    /// zero) — what memory returned to the kernel and taken again costs. 0 where /proc is absent.
    /// </summary>
    public static long MinorFaults()
    {
        var fields = LocalProcess.StatFields(Environment.ProcessId);   // fields[0] is field 3 (state); minflt is field 10
        return fields is { Length: > 7 } && long.TryParse(fields[7], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var f) ? f : 0;
    }

    static long ParseKb(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
}
