using System.Globalization;
using ResNetLab.Models;
using ResNetLab.Notebooks.Reports;
using ResNetLab.Training;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace ResNetLab.Cli.Commands;

/// <summary>
/// What `resnet reports` shows around the headless notebook kernel: the plan before it starts, then — while a notebook
/// runs — the run it is training, read from runs/&lt;name&gt;/progress.json (<see cref="ProgressFile"/>) and metrics.csv:
/// a live table on a terminal, otherwise (CI logs) one line per evaluation and at least one a minute while a run trains.
/// </summary>
public sealed class ReportProgress(IReadOnlyList<NotebookPlan> plans, string runsDir, bool live)
{
    static string Time(double seconds) => CliParse.Duration(TimeSpan.FromSeconds(Math.Max(0, seconds)));

    public static bool IsInteractive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>The plan: per notebook, runs needed / reused / to train and the estimated time.</summary>
    public void PrintPlan(Training.Budget budget, Models.Precision precision)
    {
        var total = plans.Sum(p => p.Seconds);
        var bases = plans.SelectMany(p => p.ToTrain).Select(r => r.Estimate?.Basis).OfType<string>().Distinct().ToList();
        Console.WriteLine($"plan (budget {budget.Key}, precision {precision.Name()}, runs in {runsDir}):");
        foreach (var p in plans)
        {
            var reused = p.Runs.Count(r => r.Action is PlannedAction.Reuse or PlannedAction.ReuseFromEarlierNotebook);
            var committed = p.Runs.Count(r => r.Action is PlannedAction.ReuseProjectRecord);
            var train = p.ToTrain.ToList();
            var what = p.Runs.Count == 0 ? "no training"
                : $"{p.Runs.Count} run(s): {reused} reused, " + (committed > 0 ? $"{committed} from this project's committed records, " : "") + $"{train.Count} to train" +
                  (train.Count > 0 ? $" ({string.Join(", ", train.Select(r => r.Name + (r.Action == PlannedAction.Resume ? $" from it {r.FromIteration:N0}" : "") + $" ~{Time(r.Seconds)}"))})" : "");
            Console.WriteLine($"  {p.Notebook}: {what}");
        }
        // plain lines, not Spectre markup: a redirected console would wrap them at 80 columns
        Console.WriteLine($"  estimated training time: {Time(total)}" + (bases.Count > 0 ? $" ({string.Join("; ", bases)})" : "") +
                          "; plus kernel start-up and charts, about a minute per notebook");
    }

    /// <summary>Follow one notebook's runs until disposed (the notebook finished).</summary>
    public IDisposable Follow(string notebook)
    {
        var plan = plans.FirstOrDefault(p => p.Notebook == notebook);
        if (plan is null || !plan.ToTrain.Any()) return new Stop(null, null);
        var cts = new CancellationTokenSource();
        var started = DateTime.UtcNow;
        var task = Task.Run(() =>
        {
            try
            {
                if (live) FollowLive(plan, started, cts.Token);
                else FollowLines(plan, started, cts.Token);
            }
            catch (OperationCanceledException) { }
        });
        return new Stop(cts, task);
    }

    sealed class Stop(CancellationTokenSource? cts, Task? task) : IDisposable
    {
        public void Dispose()
        {
            cts?.Cancel();
            try { task?.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
            cts?.Dispose();
        }
    }

    /// <summary>A run's state as seen from outside: its progress file if written by this job, else the plan.</summary>
    sealed record RunView(PlannedRun Run, ProgressSnapshot? Progress)
    {
        public bool Done => Progress?.State == "finished";
        public bool Active => Progress is { State: "training" };
        public double Remaining => Done ? 0 : Progress is { EtaS: { } eta } ? eta : Run.Seconds * (1 - (Progress?.Fraction ?? 0));
    }

    List<RunView> Views(NotebookPlan plan, DateTime since) => plan.ToTrain
        .Select(r => new RunView(r, ProgressFile.TryRead(Runs.Folder(r.Name, runsDir)) is { } s && s.UpdatedUtc >= since.AddSeconds(-1) ? s : null))
        .ToList();

    static string Describe(ProgressSnapshot s) =>
        $"it {s.Iteration:N0}/{s.Iterations:N0} · train error {100 * s.TrainError:0.0}%" +
        (s.TestError is { } t ? $" · test error {100 * t:0.0}%" : "") + $" · {s.ImagesPerS:N0} img/s";

    void FollowLive(NotebookPlan plan, DateTime started, CancellationToken token)
    {
        AnsiConsole.Live(Render(plan, started)).AutoClear(false).Start(ctx =>
        {
            while (!token.IsCancellationRequested)
            {
                ctx.UpdateTarget(Render(plan, started));
                token.WaitHandle.WaitOne(TimeSpan.FromSeconds(1));
            }
            ctx.UpdateTarget(Render(plan, started));
        });
    }

    IRenderable Render(NotebookPlan plan, DateTime started)
    {
        var views = Views(plan, started);
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("run").AddColumn("progress").AddColumn("errors · speed").AddColumn("ETA");
        foreach (var v in views)
        {
            var s = v.Progress;
            var bar = s is null ? "waiting" : $"{Bar(s.Fraction)} {100 * s.Fraction,3:0}% it {s.Iteration:N0}/{s.Iterations:N0}";
            var errors = s is null ? $"~{Time(v.Run.Seconds)} estimated" : $"train {100 * s.TrainError:0.0}%" +
                (s.TestError is { } t ? $" · test {100 * t:0.0}%" : "") + $" · {s.ImagesPerS:N0} img/s";
            table.AddRow(Markup.Escape(v.Run.Name), Markup.Escape(bar), Markup.Escape(errors), v.Done ? "[green]done[/]" : Markup.Escape(Time(v.Remaining)));
        }
        var elapsed = (DateTime.UtcNow - started).TotalSeconds;
        table.Caption($"{plan.Notebook}: {views.Count(v => v.Done)}/{views.Count} run(s) trained · {Time(elapsed)} elapsed · notebook ETA {Time(views.Sum(v => v.Remaining))}");
        return table;
    }

    static string Bar(double fraction)
    {
        var filled = (int)Math.Round(20 * fraction);
        return new string('█', filled) + new string('░', 20 - filled);
    }

    void FollowLines(NotebookPlan plan, DateTime started, CancellationToken token)
    {
        // One line per new metrics.csv row (written at each evaluation; rows of an earlier session are not repeated), and
        // while a run trains at least one a minute (as `resnet train` does when redirected): a long run evaluates rarely.
        var printed = plan.ToTrain.ToDictionary(r => r.Name, r => MetricsRows(r.Name));
        var lastLine = DateTime.UtcNow;
        while (true)
        {
            var views = Views(plan, started);
            foreach (var v in views.Where(v => v.Progress is not null))
            {
                var rows = MetricsRows(v.Run.Name);
                var due = v.Active && DateTime.UtcNow - lastLine >= TrainCommand.LineProgress.DefaultEvery;
                if (rows <= printed[v.Run.Name] && !due) continue;
                var what = rows > printed[v.Run.Name] ? "" : " (training)";
                printed[v.Run.Name] = rows;
                lastLine = DateTime.UtcNow;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {plan.Notebook} · {v.Run.Name}: {Describe(v.Progress!)}{what} · run ETA {Time(v.Remaining)} · notebook ETA {Time(views.Sum(x => x.Remaining))}"));
            }
            if (token.IsCancellationRequested) return;
            token.WaitHandle.WaitOne(TimeSpan.FromSeconds(0.5));
        }
    }

    int MetricsRows(string run)
    {
        try { return Runs.ReadMetrics(Runs.Folder(run, runsDir)).Count; }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException) { return 0; }
    }
}
