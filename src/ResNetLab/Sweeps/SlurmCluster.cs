using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace ResNetLab.Sweeps;

/// <summary>A node as `scontrol show node -o` describes it: CPUs, memory (MB), generic resources and partitions.</summary>
public sealed record SlurmNode(string Name, int Cpus, long MemoryMb, IReadOnlyList<string> Gres, IReadOnlyList<string> Partitions);

/// <summary>A partition as `scontrol show partition -o` describes it; null limits are UNLIMITED.</summary>
public sealed record SlurmPartition(string Name, bool IsDefault, TimeSpan? MaxTime, int? MaxCpusPerNode, long? MaxMemPerNodeMb, string State);

/// <summary>
/// What the cluster can run, read with scontrol, so a sweep that can never start is refused at submit instead of
/// pending forever (issue 25: 8 tasks asking for 4 CPUs on a partition of 2-CPU nodes waited with reason
/// PartitionConfig): a task fits when one node of the partition has its CPUs, memory and gres, within the partition's
/// per-node limits and time limit.
/// </summary>
public sealed partial record SlurmCluster(IReadOnlyList<SlurmPartition> Partitions, IReadOnlyList<SlurmNode> Nodes)
{
    /// <summary>The cluster as scontrol sees it now; null when scontrol is not on PATH or fails (no cluster to check against).</summary>
    public static SlurmCluster? Query()
    {
        var partitions = Run("scontrol", "show", "partition", "-o");
        var nodes = Run("scontrol", "show", "node", "-o");
        return partitions is null || nodes is null ? null : Parse(partitions, nodes);
    }

    /// <summary>Parse the one-line-per-entry output of `scontrol show partition -o` and `scontrol show node -o`.</summary>
    public static SlurmCluster Parse(string partitions, string nodes)
    {
        var parts = Lines(partitions).Select(Fields).Where(f => f.ContainsKey("PartitionName")).Select(f => new SlurmPartition(
            f["PartitionName"], f.GetValueOrDefault("Default") == "YES", ParseTime(f.GetValueOrDefault("MaxTime")),
            (int?)Limit(f.GetValueOrDefault("MaxCPUsPerNode")), Limit(f.GetValueOrDefault("MaxMemPerNode")), f.GetValueOrDefault("State") ?? "UP")).ToList();
        var all = Lines(nodes).Select(Fields).Where(f => f.ContainsKey("NodeName")).Select(f => new SlurmNode(
            f["NodeName"], (int)(Limit(f.GetValueOrDefault("CPUTot")) ?? 0), Limit(f.GetValueOrDefault("RealMemory")) ?? 0,
            GresList(f.GetValueOrDefault("Gres")), (f.GetValueOrDefault("Partitions") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))).ToList();
        return new SlurmCluster(parts, all);
    }

    /// <summary>The partition a job goes to: <paramref name="name"/>, else the default one.</summary>
    public SlurmPartition Partition(string? name) =>
        (name is null ? Partitions.FirstOrDefault(p => p.IsDefault) ?? Partitions.FirstOrDefault() : Partitions.FirstOrDefault(p => p.Name == name))
        ?? throw new ArgumentException(name is null ? "the cluster has no partition (scontrol show partition)"
            : $"--partition {name} is not a partition of this cluster (partitions: {string.Join(", ", Partitions.Select(p => p.Name))})");

    /// <summary>The nodes of a partition.</summary>
    public IReadOnlyList<SlurmNode> NodesOf(SlurmPartition partition) => Nodes.Where(n => n.Partitions.Contains(partition.Name)).ToList();

    /// <summary>CPUs a node of the partition can give one task (its CPUs within MaxCPUsPerNode).</summary>
    int UsableCpus(SlurmPartition p, SlurmNode n) => (int)Math.Min(n.Cpus, p.MaxCpusPerNode ?? long.MaxValue);

    /// <summary>The default CPUs per task: <paramref name="wanted"/>, or fewer when the partition's largest node has fewer.</summary>
    public int DefaultCpus(string? partition, int wanted = 4)
    {
        var p = Partition(partition);
        var largest = NodesOf(p).Select(n => UsableCpus(p, n)).DefaultIfEmpty(wanted).Max();
        return Math.Clamp(largest, 1, wanted);
    }

    /// <summary>Why a task with <paramref name="res"/> can never start on this cluster; null when it fits.</summary>
    public string? Misfit(SlurmResources res)
    {
        var p = Partition(res.Partition);
        var nodes = NodesOf(p);
        if (nodes.Count == 0) return $"partition {p.Name} has no nodes";
        var where = $"of partition {p.Name}";
        if (res.Time is { } time && ParseTime(time) is { } asked && p.MaxTime is { } max && asked > max)
            return $"a task asks for --time {time}, partition {p.Name}'s time limit is {FormatTime(max)}";
        var cpus = nodes.Max(n => UsableCpus(p, n));
        if (res.Cpus > cpus) return $"a task asks for {res.Cpus} CPUs, the largest node {where} has {cpus}";
        var fitting = nodes.Where(n => UsableCpus(p, n) >= res.Cpus).ToList();
        if (res.Mem is { } mem)
        {
            var mb = ParseMemoryMb(mem);
            long Usable(SlurmNode n) => Math.Min(n.MemoryMb, p.MaxMemPerNodeMb ?? long.MaxValue);
            var most = fitting.Max(Usable);
            if (mb > most) return $"a task asks for --mem {mem} ({mb:N0} MB), the largest node {where} with {res.Cpus} CPUs has {most:N0} MB";
            fitting = fitting.Where(n => Usable(n) >= mb).ToList();
        }
        if (res.Gres is { } gres && !fitting.Any(n => HasGres(n, gres)))
            return $"a task asks for --gres {gres}, no node {where} with the CPUs and memory asked for has it " +
                   $"(gres there: {string.Join(", ", nodes.SelectMany(n => n.Gres).Distinct().DefaultIfEmpty("none"))})";
        return null;
    }

    /// <summary>Does the node offer <paramref name="request"/> (name[:type]:count)?</summary>
    static bool HasGres(SlurmNode node, string request)
    {
        var (name, type, count) = SplitGres(request);
        return node.Gres.Select(SplitGres).Any(g => g.Name == name && (type is null || g.Type == type) && g.Count >= count);
    }

    static (string Name, string? Type, long Count) SplitGres(string spec)
    {
        var parts = GresCleanup().Replace(spec, "").Split(':');
        var hasCount = long.TryParse(parts[^1], CultureInfo.InvariantCulture, out var count);
        var names = hasCount ? parts[..^1] : parts;
        return (names[0], names.Length > 1 ? names[1] : null, hasCount ? count : 1);
    }

    static IReadOnlyList<string> GresList(string? text) =>
        text is null or "(null)" or "" ? [] : text.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(g => GresCleanup().Replace(g, "")).ToList();

    [GeneratedRegex(@"\(.*?\)")]
    private static partial Regex GresCleanup();

    /// <summary>A Slurm time (minutes, mm:ss, hh:mm:ss, d-hh, d-hh:mm, d-hh:mm:ss); null for UNLIMITED, INFINITE or none.</summary>
    public static TimeSpan? ParseTime(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text is "UNLIMITED" or "INFINITE" or "NONE") return null;
        var days = 0;
        var rest = text.Trim();
        if (rest.Contains('-'))
        {
            var d = rest.Split('-', 2);
            days = int.Parse(d[0], CultureInfo.InvariantCulture);
            var hms = d[1].Split(':').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            return new TimeSpan(days, hms[0], hms.Length > 1 ? hms[1] : 0, hms.Length > 2 ? hms[2] : 0);
        }
        var f = rest.Split(':').Select(v => int.TryParse(v, CultureInfo.InvariantCulture, out var n) ? n
            : throw new ArgumentException($"'{text}' is not a Slurm time (minutes, mm:ss, hh:mm:ss or d-hh:mm:ss)")).ToArray();
        return f.Length switch
        {
            1 => TimeSpan.FromMinutes(f[0]),
            2 => new TimeSpan(0, f[0], f[1]),
            _ => new TimeSpan(f[0], f[1], f[2]),
        };
    }

    static string FormatTime(TimeSpan t) => t.Days > 0 ? $"{t.Days}-{t:hh\\:mm\\:ss}" : t.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture);

    /// <summary>--mem as Slurm reads it: a number with an optional K/M/G/T suffix, megabytes by default.</summary>
    public static long ParseMemoryMb(string text)
    {
        var m = MemorySpec().Match(text.Trim());
        if (!m.Success) throw new ArgumentException($"--mem '{text}' is not a size such as 8G or 4000M");
        var value = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        var factor = m.Groups[2].Value.ToUpperInvariant() switch { "K" => 1.0 / 1024, "G" => 1024, "T" => 1024 * 1024, _ => 1 };
        return (long)Math.Ceiling(value * factor);
    }

    [GeneratedRegex(@"^([0-9]+(?:\.[0-9]+)?)([KMGTkmgt]?)B?$")]
    private static partial Regex MemorySpec();

    static long? Limit(string? text) => long.TryParse(text, CultureInfo.InvariantCulture, out var v) ? v : null;

    static IEnumerable<string> Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    static Dictionary<string, string> Fields(string line) =>
        FieldPattern().Matches(line).GroupBy(m => m.Groups[1].Value).ToDictionary(g => g.Key, g => g.First().Groups[2].Value);

    [GeneratedRegex(@"(?:^|\s)([A-Za-z][A-Za-z0-9_:]*)=(\S*)")]
    private static partial Regex FieldPattern();

    /// <summary>Runs a Slurm command; its stdout, or null when it is missing or fails.</summary>
    internal static string? Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(info)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            p.StandardError.ReadToEnd();
            if (!p.WaitForExit(TimeSpan.FromSeconds(30))) { p.Kill(); return null; }
            return p.ExitCode == 0 ? stdout.Result : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }
}
