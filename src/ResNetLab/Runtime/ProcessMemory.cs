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

    static long ParseKb(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
}
