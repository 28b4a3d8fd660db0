using System.Collections;
using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;
using Microsoft.AspNetCore.Html;
using ResNetLab.Analysis;

namespace ResNetLab.Notebooks;

/// <summary>
/// A findings record (<see cref="Findings"/>) as a small HTML table: the numbers and verdicts that a notebook's "What we
/// saw" markdown explains. A record becomes a two-column table (its property names as the library spells them, so the
/// markdown can name them; values rounded, booleans yes/no); a list of records a table with one column per property.
/// No sentences are made here — the words, and the rule behind each verdict, live in the notebook's markdown.
/// </summary>
public static class FactsTable
{
    /// <summary>The facts as an HTML table; null (a finding that needs more runs than this budget has) as a one-line note.</summary>
    public static string Html(object? facts) => facts switch
    {
        null => "<p>— (no finding: it needs more runs than this notebook has)</p>",
        IEnumerable list and not string => Rows(list.Cast<object?>().ToList()),
        _ when IsScalar(facts.GetType()) => $"<p>{Encode(Cell(facts))}</p>",
        _ => Record(facts),
    };

    /// <summary>A record's public properties, one row each (static members such as paper constants are left out).</summary>
    static string Record(object record)
    {
        var sb = new StringBuilder("<table>");
        foreach (var p in Properties(record.GetType()))
            sb.Append($"<tr><th style=\"text-align:left\">{Encode(p.Name)}</th><td style=\"text-align:left\">{Value(p.GetValue(record))}</td></tr>");
        return sb.Append("</table>").ToString();
    }

    /// <summary>A list: scalars joined on one line; records as a table with a column per property.</summary>
    static string Rows(IReadOnlyList<object?> items)
    {
        if (items.Count == 0) return "<p>— (none)</p>";
        var type = items.First(i => i is not null)?.GetType();
        // a list of runs or reference nets: one per line (each is a sentence-long cell); numbers on one line
        if (type == typeof(FinalResult) || type == typeof(ReferenceResult)) return string.Join("<br>", items.Select(i => Encode(Cell(i))));
        if (type is null || IsScalar(type)) return Encode(string.Join(", ", items.Select(Cell)));
        var properties = Properties(type);
        var sb = new StringBuilder("<table><thead><tr>");
        foreach (var p in properties) sb.Append($"<th>{Encode(p.Name)}</th>");
        sb.Append("</tr></thead><tbody>");
        foreach (var item in items)
        {
            sb.Append("<tr>");
            foreach (var p in properties) sb.Append($"<td>{(item is null ? "—" : Value(p.GetValue(item)))}</td>");
            sb.Append("</tr>");
        }
        return sb.Append("</tbody></table>").ToString();
    }

    static IReadOnlyList<PropertyInfo> Properties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0).ToList();

    /// <summary>One value as HTML: scalars as text, lists and nested records as nested tables.</summary>
    static string Value(object? value) => value switch
    {
        null => "—",
        IEnumerable list and not string => Rows(list.Cast<object?>().ToList()),
        _ when IsScalar(value.GetType()) => Encode(Cell(value)),
        _ => Record(value),
    };

    /// <summary>Types shown as one cell: numbers, text, yes/no, and a run's or reference net's result in one line.</summary>
    static bool IsScalar(Type t) =>
        t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || t == typeof(FinalResult) || t == typeof(ReferenceResult);

    /// <summary>A scalar as text, rounded as the notebooks' tables round.</summary>
    public static string Cell(object? value) => value switch
    {
        null => "—",
        bool b => b ? "yes" : "no",
        double d => Number(d),
        float f => Number(f),
        int or long => Convert.ToInt64(value, CultureInfo.InvariantCulture).ToString("N0", CultureInfo.InvariantCulture),
        // a run in one line: which net, how far it trained, where it ended
        FinalResult r => string.Create(CultureInfo.InvariantCulture,
            $"{r.Label}: {r.TrainErrorPercent:0.0} % train / {r.TestErrorPercent:0.0} % test error ({r.Iterations:N0} iterations, {r.Parameters:N0} parameters)"),
        ReferenceResult r => string.Create(CultureInfo.InvariantCulture,
            $"{r.Label}: {r.TestErrorPercent:0.0} % test error on {r.Images:N0} images (its file claims {r.ClaimedTestErrorPercent:0.0} %)"),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    /// <summary>Three significant decimals; thousands grouped; very small magnitudes (gradient ratios) in scientific notation.</summary>
    static string Number(double d) =>
        double.IsNaN(d) ? "—"
        : Math.Abs(d) >= 1000 ? d.ToString("N0", CultureInfo.InvariantCulture)
        : d != 0 && Math.Abs(d) < 0.01 ? d.ToString("0.0e+0", CultureInfo.InvariantCulture)
        : d.ToString("0.###", CultureInfo.InvariantCulture);

    static string Encode(string s) => WebUtility.HtmlEncode(s);
}

public sealed partial class Lab
{
    /// <summary>
    /// Show a findings record (or a list of them) as a small table — the numbers and verdicts the markdown around it
    /// explains (<see cref="FactsTable"/>).
    /// </summary>
    public static void Facts(object? facts) => Show(new HtmlString(FactsTable.Html(facts)));
}
