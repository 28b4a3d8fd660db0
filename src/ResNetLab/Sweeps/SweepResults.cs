using ResNetLab.Analysis;
using ResNetLab.Training;

namespace ResNetLab.Sweeps;

/// <summary>A sweep's finished runs read back from their records (nothing trained), and the runs still missing.</summary>
public sealed record SweepResults(IReadOnlyList<RunResult> Finished, IReadOnlyList<string> Missing)
{
    /// <summary>Table 6 over the finished runs: per model mean ± std, best and n over seeds (<see cref="RunAnalysis.SeedStats"/>).</summary>
    public IReadOnlyList<SeedStat> Table => Finished.Count == 0 ? [] : RunAnalysis.SeedStats(Finished);

    /// <summary>Read the records of <paramref name="runs"/> in <paramref name="runsDir"/>; unfinished ones are listed as missing.</summary>
    public static SweepResults Load(IReadOnlyList<RunConfig> runs, string runsDir)
    {
        var finished = new List<RunResult>();
        var missing = new List<string>();
        foreach (var config in runs)
        {
            var folder = Training.Runs.Folder(config.RunName, runsDir);
            var record = Training.Runs.TryLoad(folder);
            if (record is { Status: RunStatus.Finished } && record.ConfigHash == config.Hash)
                finished.Add(new RunResult(folder, record, Training.Runs.ReadMetrics(folder), RunOutcome.Reused));
            else missing.Add(config.RunName);
        }
        return new SweepResults(finished, missing);
    }
}
