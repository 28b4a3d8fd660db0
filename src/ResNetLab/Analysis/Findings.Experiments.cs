using ResNetLab.Charts;
using ResNetLab.Models;
using ResNetLab.Paper;

namespace ResNetLab.Analysis;

public static partial class Findings
{
    /// <summary>±1 binomial standard error (percentage points) of an error rate measured on n images.</summary>
    public static double StandardError(double errorPercent, int images) =>
        images <= 0 ? double.NaN : 100 * Math.Sqrt(errorPercent / 100 * (1 - errorPercent / 100) / images);

    static string Pct(double v) => F(v, "0.0") + "%";

    /// <summary>Notebook 02: did the deeper plain net train worse, and the deeper ResNet better?</summary>
    public static string Degradation(IReadOnlyList<FinalResult> plain, IReadOnlyList<FinalResult> residual,
                                     IReadOnlyList<ErrorCurve>? plainCurves = null)
    {
        if (plain.Count < 2 || residual.Count < 2) return "<p>Need at least two depths of each kind to compare.</p>";
        var (ps, pd) = (plain.MinBy(f => f.Depth)!, plain.MaxBy(f => f.Depth)!);
        var (rs, rd) = (residual.MinBy(f => f.Depth)!, residual.MaxBy(f => f.Depth)!);
        var plainDegrades = pd.TrainErrorPercent > ps.TrainErrorPercent;
        var residualImproves = rd.TrainErrorPercent < rs.TrainErrorPercent;
        var iterations = plain.Concat(residual).Max(f => f.Iterations);
        var se = StandardError(pd.TestErrorPercent, pd.EvalImages);
        var text = $"<p>After {iterations:N0} iterations, <b>plain-{pd.Depth}</b> ended at {Pct(pd.TrainErrorPercent)} training error " +
                   $"vs {Pct(ps.TrainErrorPercent)} for plain-{ps.Depth}: " +
                   (plainDegrades
                       ? "<b>the deeper plain net trains worse</b> — the degradation problem of Fig. 6 (left), with training (not test) error, so it is not overfitting."
                       : "at this budget the deeper plain net did <b>not</b> train worse; the paper's gap shows over its full schedule.") +
                   CurveAgreement(plainCurves, ps.Label, pd.Label) + "</p>";
        text += $"<p><b>ResNet-{rd.Depth}</b> ended at {Pct(rd.TrainErrorPercent)} training error vs {Pct(rs.TrainErrorPercent)} for ResNet-{rs.Depth}: " +
                (residualImproves
                    ? "with shortcuts, <b>depth helps</b> (Fig. 6, middle)."
                    : "at this budget the deeper ResNet has not yet overtaken the shallower one (in the paper it does, by the end of training).") + "</p>";
        var gap = pd.TrainErrorPercent - rd.TrainErrorPercent;
        text += $"<p>At {pd.Depth} layers the residual net is {F(Math.Abs(gap), "0.0")} points {(gap > 0 ? "below" : "above")} its plain twin in training error " +
                $"(same parameters). Test errors: plain-{pd.Depth} {Pct(pd.TestErrorPercent)}, ResNet-{rd.Depth} {Pct(rd.TestErrorPercent)} " +
                $"(±{F(se, "0.0")} points from {pd.EvalImages:N0} test images); Table 6 reports {F(PaperNumbers.Table6.FirstOrDefault(t => t.Depth == rd.Depth)?.TestErrorPercent ?? double.NaN)}% " +
                "for the ResNet after 64k iterations on the official data.</p>";
        return text;
    }

    /// <summary>
    /// One final number is one noisy sample; the whole curve says more: at how many of the evaluation points both runs
    /// share did the deeper net have the higher training error.
    /// </summary>
    static string CurveAgreement(IReadOnlyList<ErrorCurve>? curves, string shallow, string deep)
    {
        var a = curves?.FirstOrDefault(c => c.Label == shallow);
        var b = curves?.FirstOrDefault(c => c.Label == deep);
        if (a is null || b is null) return "";
        var deepAt = b.Iterations.Zip(b.TrainErrorPercent).ToDictionary(p => p.First, p => p.Second);
        var shared = a.Iterations.Zip(a.TrainErrorPercent).Where(p => deepAt.ContainsKey(p.First)).ToList();
        if (shared.Count == 0) return "";
        var worse = shared.Count(p => deepAt[p.First] > p.Second);
        return $" Over the whole run, {deep} had the higher training error at {worse} of {shared.Count} evaluation points.";
    }

    /// <summary>Notebook 03: options A/B/C — errors against what they cost and the noise of the measurement.</summary>
    public static string ShortcutOptions(IReadOnlyList<FinalResult> runs)
    {
        if (runs.Count == 0) return "<p>No runs.</p>";
        var parts = new List<string>();
        foreach (var g in runs.GroupBy(r => r.Model))
        {
            var a = g.FirstOrDefault(r => r.Shortcut == ShortcutOption.A);
            var rows = string.Join(", ", g.Select(r => $"{r.Shortcut}: {Pct(r.TestErrorPercent)} test / {Pct(r.TrainErrorPercent)} train ({r.Parameters:N0} parameters)"));
            var spread = g.Max(r => r.TestErrorPercent) - g.Min(r => r.TestErrorPercent);
            var se = StandardError(g.Average(r => r.TestErrorPercent), g.First().EvalImages);
            parts.Add($"<p><b>{g.Key}</b> — {rows}. The options differ by {F(spread, "0.0")} points of test error, " +
                      (spread < 2 * se
                          ? $"within the measurement noise (±{F(se, "0.0")} points on {g.First().EvalImages:N0} test images): like the paper, no option is essential."
                          : $"more than the sampling noise of the test set (±{F(se, "0.0")} points), though one seed per option also carries " +
                            "seed-to-seed variation that this bound leaves out — more seeds would tell. " +
                            $"The paper's ImageNet differences are small (Table 3: A {F(25.03)}, B {F(24.52)}, C {F(24.19)}).") +
                      (a is null ? "" : $" B and C add {g.Where(r => r.Shortcut != ShortcutOption.A).Select(r => $"{r.Shortcut} +{r.Parameters - a.Parameters:N0}").DefaultIfEmpty("").Aggregate((x, y) => x + ", " + y)} parameters over A.") + "</p>");
        }
        return string.Concat(parts);
    }

    /// <summary>Notebook 04: basic vs bottleneck at similar cost.</summary>
    public static string Bottleneck(IReadOnlyList<FinalResult> runs)
    {
        var basic = runs.FirstOrDefault(r => r.Block == BlockKind.Basic);
        var bottle = runs.FirstOrDefault(r => r.Block == BlockKind.Bottleneck);
        if (basic is null || bottle is null) return "<p>Need one basic and one bottleneck run.</p>";
        var se = StandardError(basic.TestErrorPercent, basic.EvalImages);
        var diff = bottle.TestErrorPercent - basic.TestErrorPercent;
        return $"<p>The {bottle.Depth}-layer bottleneck net ({bottle.Parameters:N0} parameters) reached {Pct(bottle.TestErrorPercent)} test error and the " +
               $"{basic.Depth}-layer basic net ({basic.Parameters:N0} parameters) {Pct(basic.TestErrorPercent)} after {basic.Iterations:N0} iterations: " +
               (Math.Abs(diff) < 2 * se
                   ? $"the same within the noise (±{F(se, "0.0")} points), at similar cost with {bottle.Depth - basic.Depth} more layers — the bottleneck buys depth cheaply."
                   : diff < 0 ? "the deeper bottleneck net is better at similar cost, as the paper's 50/101/152-layer results suggest."
                              : "the bottleneck net is behind at this budget; its extra depth needs the longer schedule to pay off.") + "</p>";
    }

    /// <summary>Notebook 05: warm-up, and whether 1202 layers overfit (judged from our own curves).</summary>
    public static string VeryDeep(IReadOnlyList<FinalResult> r110, IReadOnlyList<FinalResult> r1202, int? warmupEndedAt)
    {
        var a = r110.MinBy(r => r.TestErrorPercent);
        var b = r1202.FirstOrDefault();
        if (a is null) return "<p>No ResNet-110 run.</p>";
        var text = "<p>" + (warmupEndedAt is { } w
            ? $"ResNet-110's warm-up ended at iteration <b>{w}</b> (the paper: \"about 400 iterations\"); from there the rate followed the schedule " +
              $"(0.1 until the first ÷10{(w >= a.Iterations / 2 ? " — which this short schedule had already reached, so it never saw 0.1" : "")})."
            : $"ResNet-110's training error did not fall below 80% within {a.Iterations:N0} iterations, so the warm-up (lr 0.01) lasted the whole run.") + "</p>";
        text += $"<p>ResNet-110 ended at {Pct(a.TrainErrorPercent)} training / {Pct(a.TestErrorPercent)} test error " +
                $"({r110.Count} seed{(r110.Count == 1 ? "" : "s")}; Table 6: {F(PaperNumbers.ResNet110MeanOf5.Mean)} ± {F(PaperNumbers.ResNet110MeanOf5.Std)}%).</p>";
        if (b is null) return text;
        var gapB = b.TestErrorPercent - b.TrainErrorPercent;
        var gapA = a.TestErrorPercent - a.TrainErrorPercent;
        var comparable = b.Iterations >= a.Iterations;
        text += $"<p>ResNet-1202 ({b.Parameters:N0} parameters) ran {b.Iterations:N0} iterations: {Pct(b.TrainErrorPercent)} training / {Pct(b.TestErrorPercent)} test error. " +
                (!comparable
                    ? "It ran a much shorter schedule than ResNet-110 here (its cost is ~60× ResNet-20's), so the paper's overfitting remark cannot be judged from these curves — it needs the full budget."
                    : b.TrainErrorPercent <= a.TrainErrorPercent && b.TestErrorPercent > a.TestErrorPercent && gapB > gapA
                        ? "It fits the training set at least as well as ResNet-110 but tests worse, with a larger train/test gap: consistent with the paper's reading that 1202 layers overfit this small dataset."
                        : "Our curves do not show the paper's overfitting pattern (lower training but higher test error than ResNet-110) at this budget.") + "</p>";
        return text;
    }

    /// <summary>Notebook 06: are residual responses smaller than plain ones, and smaller for deeper ResNets?</summary>
    public static string LayerResponses(IReadOnlyList<ResponseSeries> series)
    {
        double Mean(string label) => series.FirstOrDefault(s => s.Label == label)?.Std.Average() ?? double.NaN;
        var pairs = new[] { 20, 56 }.Where(d => !double.IsNaN(Mean($"plain{d}")) && !double.IsNaN(Mean($"resnet{d}")))
            .Select(d => (d, plain: Mean($"plain{d}"), residual: Mean($"resnet{d}"))).ToList();
        var text = string.Concat(pairs.Select(p =>
            $"<p>{p.d} layers: mean response std {F(p.residual, "0.000")} with shortcuts vs {F(p.plain, "0.000")} without — " +
            (p.residual < p.plain ? "<b>the residual functions respond less</b>, as Fig. 7 shows (closer to zero, §3.1)." : "not smaller at this budget.") + "</p>"));
        var resnets = series.Where(s => s.Label.StartsWith("resnet", StringComparison.Ordinal))
            .Select(s => (s.Label, depth: int.Parse(new string(s.Label.Skip(6).TakeWhile(char.IsDigit).ToArray()), System.Globalization.CultureInfo.InvariantCulture), mean: s.Std.Average()))
            .OrderBy(x => x.depth).ToList();
        if (resnets.Count >= 2)
        {
            var decreasing = resnets.Zip(resnets.Skip(1)).All(p => p.Second.mean <= p.First.mean);
            text += $"<p>By depth: {string.Join(", ", resnets.Select(r => $"ResNet-{r.depth} {F(r.mean, "0.000")}"))} — " +
                    (decreasing ? "the deeper ResNet has smaller responses, as the paper notes." : "not monotone at this budget (the paper's Fig. 7 is after full training).") + "</p>";
        }
        return text;
    }
}
