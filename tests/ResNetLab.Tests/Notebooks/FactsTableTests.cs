using ResNetLab.Analysis;
using ResNetLab.Models;
using ResNetLab.Notebooks;

namespace ResNetLab.Tests.Notebooks;

/// <summary>The "What we saw" tables: a findings record's names, rounded values and yes/no verdicts, nothing made up.</summary>
public class FactsTableTests
{
    static FinalResult R(string model, int depth, bool residual, double train, double test) =>
        new(model, model, depth, residual, residual ? ShortcutOption.A : null, BlockKind.Basic, 800, train, test, 2000, 0, 853_018);

    static BottleneckFacts? Bottleneck(double bottleneckTest) => Findings.Bottleneck(
        [R("resnet20", 20, true, 30, 35), R("resnet29", 29, true, 30, bottleneckTest) with { Block = BlockKind.Bottleneck }]);

    [Fact]
    public void A_record_is_a_row_per_member_with_its_verdicts_as_yes_or_no()
    {
        var within = FactsTable.Html(Bottleneck(35.5));
        Assert.StartsWith("<table>", within);
        foreach (var name in new[] { "Basic", "Bottleneck", "DifferencePoints", "NoisePoints", "WithinNoise" })
            Assert.Contains($"<th style=\"text-align:left\">{name}</th>", within);
        Assert.Contains("<th style=\"text-align:left\">WithinNoise</th><td style=\"text-align:left\">yes</td>", within);
        Assert.Contains("resnet29: 30.0 % train / 35.5 % test error (800 iterations, 853,018 parameters)", within);
        Assert.Contains(">0.5<", within);     // DifferencePoints, rounded as the notebooks' tables round

        // the verdict follows the numbers: ten points apart is outside twice the ±1.07-point noise
        var outside = FactsTable.Html(Bottleneck(45));
        Assert.Contains("<th style=\"text-align:left\">WithinNoise</th><td style=\"text-align:left\">no</td>", outside);
        Assert.Contains(">10<", outside);
    }

    [Fact]
    public void A_list_of_records_is_a_table_with_a_column_per_member_and_computed_members_included()
    {
        var html = FactsTable.Html(new[] { new ResponsePair(20, 0.9, 0.5), new ResponsePair(56, 0.4, 0.6) });
        Assert.Contains("<th>Depth</th><th>Plain</th><th>Residual</th><th>ResidualSmaller</th>", html);
        Assert.Contains("<tr><td>20</td><td>0.9</td><td>0.5</td><td>yes</td></tr>", html);
        Assert.Contains("<tr><td>56</td><td>0.4</td><td>0.6</td><td>no</td></tr>", html);
    }

    [Fact]
    public void Nested_lists_missing_values_and_a_missing_finding_are_shown_not_dropped()
    {
        var facts = new WarmupFacts([new DepthRatio(20, 1.4), new DepthRatio(110, 7.4)], true, 110, 0.74, 0.074, null, null, null);
        var html = FactsTable.Html(facts);
        Assert.Contains("<th>Depth</th><th>MaxRatio</th>", html);              // ByDepth, as a table in its cell
        Assert.Contains("<td>110</td><td>7.4</td>", html);
        Assert.Contains("<th style=\"text-align:left\">WarmupEndedAt</th><td style=\"text-align:left\">—</td>", html);
        Assert.Contains("<th style=\"text-align:left\">NeverSawFullRate</th><td style=\"text-align:left\">no</td>", html);
        Assert.DoesNotContain("EqualityContract", html);
        Assert.Contains("no finding", FactsTable.Html(null));
        Assert.Equal("1, 2.5, yes", FactsTable.Html(new object[] { 1, 2.5, true }));
        var runs = FactsTable.Html(new ShortcutOptionFacts("resnet20", [R("resnet20", 20, true, 30, 35), R("resnet20", 20, true, 31, 36)], 1, 1, true, 2000, []));
        Assert.Contains("parameters)<br>resnet20: 31.0 % train", runs);   // runs one per line
        Assert.Contains("<th style=\"text-align:left\">OverA</th><td style=\"text-align:left\"><p>— (none)</p></td>", runs);
    }

    [Theory]
    [InlineData(1234.6, "1,235")]
    [InlineData(0.00042, "4.2e-4")]
    [InlineData(6.4321, "6.432")]
    [InlineData(0.0, "0")]
    [InlineData(double.NaN, "—")]
    public void Numbers_are_rounded_readably(double value, string shown) => Assert.Equal(shown, FactsTable.Cell(value));

    [Fact]
    public void Text_is_encoded()
    {
        var html = FactsTable.Html(new AddedParameters(ShortcutOption.B, 2752));
        Assert.Contains(">B<", html);
        Assert.Contains(">2,752<", html);
        Assert.DoesNotContain("<script", FactsTable.Html(new ResponseByDepth(20, 1) is var r ? new { Label = "<script>", r.Depth } : null));
    }
}
