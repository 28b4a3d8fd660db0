using LineProgress = ResNetLab.Cli.Commands.TrainCommand.LineProgress;
using ResNetLab.Training;

namespace ResNetLab.Tests.Cli;

/// <summary>A redirected `resnet train` (CI, Slurm, nohup) says when it starts and is never silent for long between evaluations.</summary>
public class LineProgressTests
{
    static TrainingProgress Event(ProgressKind kind, int iteration, double? test = null) =>
        new("resnet56-A-cifar10-12800it-s0", kind, iteration, 12_800, 0.1, false, 0.9, 0.31, test is null ? null : 1.0, test,
            150, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(90));

    static (LineProgress Progress, StringWriter Output, Action<double> Advance) Make()
    {
        var now = new DateTime(2026, 12, 5, 12, 0, 0, DateTimeKind.Utc);
        var output = new StringWriter();
        return (new LineProgress(output, TimeSpan.FromSeconds(60), () => now), output, seconds => now = now.AddSeconds(seconds));
    }

    static string[] Lines(StringWriter output) => output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public void A_fresh_run_says_it_started_then_prints_a_line_a_minute_and_every_evaluation()
    {
        var (progress, output, advance) = Make();
        progress.Report(Event(ProgressKind.Step, 1));
        for (var it = 2; it <= 400; it++)   // 400 steps, one a second
        {
            advance(1);
            progress.Report(it == 400 ? Event(ProgressKind.Evaluation, it, 0.30) : Event(ProgressKind.Step, it));
        }
        var lines = Lines(output);
        Assert.Equal("resnet56-A-cifar10-12800it-s0: training started, 12,800 iterations (lr 0.1)", lines[0]);
        var between = lines.Where(l => l.Contains("(since the start)")).ToList();   // no evaluation yet: the figures are the run's so far
        Assert.Equal(6, between.Count);   // at 61, 121, …, 361 s: never more than a minute without a line
        Assert.DoesNotContain(lines, l => l.Contains("since the last evaluation"));
        Assert.Contains("it 61/12,800", between[0]);
        Assert.Contains(" eta 1h30m", between[0]);
        Assert.Contains("it 400/12,800", lines[^1]);
        Assert.Contains("test 30.0%", lines[^1].Replace(" %", "%"));
        Assert.Equal(8, lines.Length);

        for (var it = 401; it <= 470; it++)   // after the evaluation the figures restart from it, and the line says so
        {
            advance(1);
            progress.Report(Event(ProgressKind.Step, it, 0.30));
        }
        var after = Lines(output)[8..];
        Assert.Equal(["it 460/12,800"], after.Select(l => l.Split(' ')[1..3]).Select(w => string.Join(' ', w)));
        Assert.EndsWith("(since the last evaluation) eta 1h30m", after[0]);
    }

    [Fact]
    public void A_resumed_run_names_the_iteration_it_resumed_from()
    {
        var (progress, output, _) = Make();
        progress.Report(Event(ProgressKind.Step, 1_491));
        progress.Report(Event(ProgressKind.Step, 1_492));
        var lines = Lines(output);
        Assert.Single(lines);
        Assert.Contains("resumed from its checkpoint at iteration 1,490 of 12,800", lines[0]);
    }

    [Fact]
    public void Checkpoint_and_finish_events_add_no_lines()
    {
        var (progress, output, advance) = Make();
        progress.Report(Event(ProgressKind.Step, 1));
        advance(600);
        progress.Report(Event(ProgressKind.Checkpoint, 1));
        progress.Report(Event(ProgressKind.Finished, 1));
        Assert.Single(Lines(output));
    }
}
