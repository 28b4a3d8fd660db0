using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using ResNetLab.Analysis;

namespace ResNetLab.Tests.Notebooks;

/// <summary>
/// Issue 27: the notebooks teach — short code cells, the words (and the rule of each verdict) in markdown, exercises at
/// the end. The rules' thresholds live once in <see cref="Findings"/>; the markdown states them in words, held here.
/// </summary>
public class NotebookTeachingTests
{
    sealed record Cell(string Kind, string Source);

    static IReadOnlyList<Cell> Cells(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("cells").EnumerateArray().Select(c => new Cell(c.GetProperty("cell_type").GetString()!,
            c.GetProperty("source").ValueKind == JsonValueKind.Array
                ? string.Concat(c.GetProperty("source").EnumerateArray().Select(l => l.GetString()))
                : c.GetProperty("source").GetString()!)).ToList();
    }

    static IEnumerable<string> Notebooks() => Directory.GetFiles(Path.Combine(TestPaths.Root, "notebooks"), "*.ipynb").Order();

    static string Notebook(string prefix) => Notebooks().Single(n => Path.GetFileName(n).StartsWith(prefix + "-", StringComparison.Ordinal));

    static string Markdown(string prefix) => string.Join("\n", Cells(Notebook(prefix)).Where(c => c.Kind == "markdown").Select(c => c.Source));

    /// <summary>Markdown wraps lines anywhere: compare with runs of whitespace made single spaces.</summary>
    static string Flat(string s) => Regex.Replace(s, @"\s+", " ");

    /// <summary>
    /// A cell that calls a library member returning HtmlString binds that type to the kernel's own copy of
    /// Microsoft.AspNetCore.Html.Abstractions; when the kernel restored another version than this build's, the cell failed
    /// with MissingMethodException (07 and 09, session 12). Cells show HTML through void helpers such as Lab.ShowKeyValues.
    /// </summary>
    [Fact]
    public void No_code_cell_handles_HtmlString_from_the_library()
    {
        var binding = Notebooks().SelectMany(n => Cells(n).Select((c, i) => (Notebook: Path.GetFileName(n), Index: i, c)))
            .Where(x => x.c.Kind == "code" && Regex.IsMatch(x.c.Source, @"\bKeyValueTable\(|\bBanner\(|\bHtmlString\b"))
            .Select(x => $"{x.Notebook} cell {x.Index}").ToList();
        Assert.True(binding.Count == 0, "cells naming an HtmlString-returning member (use Lab.ShowKeyValues): " + string.Join("; ", binding));
        Assert.Equal(typeof(void), typeof(ResNetLab.Notebooks.Lab).GetMethod(nameof(ResNetLab.Notebooks.Lab.ShowKeyValues))!.ReturnType);
    }

    [Fact]
    public void No_code_cell_is_longer_than_1200_characters()
    {
        var tooLong = Notebooks().SelectMany(n => Cells(n).Select((c, i) => (Notebook: Path.GetFileName(n), Index: i, c)))
            .Where(x => x.c.Kind == "code" && x.c.Source.Length > 1200)
            .Select(x => $"{x.Notebook} cell {x.Index}: {x.c.Source.Length} characters").ToList();
        Assert.True(tooLong.Count == 0, "code cells over 1,200 characters (put the words in markdown, the logic in the library): " + string.Join("; ", tooLong));
    }

    [Fact]
    public void What_we_saw_cells_print_facts_and_leave_the_sentences_to_markdown()
    {
        foreach (var nb in Notebooks().Where(n => Cells(n).Any(c => c.Source.StartsWith("## What we saw", StringComparison.Ordinal))))
        {
            var cells = Cells(nb);
            var start = cells.ToList().FindIndex(c => c.Kind == "markdown" && c.Source.StartsWith("## What we saw", StringComparison.Ordinal));
            var code = cells.Skip(start).Where(c => c.Kind == "code").ToList();
            Assert.True(code.Count > 0, $"{Path.GetFileName(nb)}: no facts printed under \"What we saw\"");
            Assert.All(code, c =>
            {
                Assert.Contains("Lab.Facts(", c.Source);
                Assert.DoesNotContain("Lab.Say(", c.Source);   // sentences built in C# are what issue 27 took out
            });
        }
    }

    [Fact]
    public void Every_notebook_01_to_10_ends_with_three_to_five_exercises()
    {
        for (var n = 1; n <= 10; n++)
        {
            var prefix = n.ToString("00", CultureInfo.InvariantCulture);
            var cells = Cells(Notebook(prefix));
            var exercises = cells.Where(c => c.Kind == "markdown" && c.Source.StartsWith("## Exercises", StringComparison.Ordinal)).ToList();
            Assert.True(exercises.Count == 1, $"notebook {prefix}: {exercises.Count} \"## Exercises\" cells");
            Assert.Same(exercises[0], cells[^1]);   // at the end, after "What we saw"
            var items = Regex.Matches(exercises[0].Source, @"^(\d+)\. ", RegexOptions.Multiline).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
            Assert.InRange(items.Count, 3, 5);
            Assert.Equal(Enumerable.Range(1, items.Count), items);
            // each item: what to change, a prediction first, and what it costs here
            var bodies = Regex.Split(exercises[0].Source, @"^\d+\. ", RegexOptions.Multiline).Skip(1).ToList();
            Assert.All(bodies, b =>
            {
                Assert.Contains("*Predict", b);
                Assert.Contains("*Cost:*", b);
            });
        }
    }

    static string Words(double share) => share switch
    {
        0.25 => "a quarter",
        0.5 => "half",
        _ => throw new Xunit.Sdk.XunitException($"no words for {share}: a rule changed — change its sentence in the notebook and here"),
    };

    static string Times(double multiple) => multiple switch
    {
        2 => "twice",
        3 => "three times",
        _ => throw new Xunit.Sdk.XunitException($"no words for {multiple}×: a rule changed — change its sentence in the notebooks and here"),
    };

    [Theory]
    [InlineData("03")]
    [InlineData("04")]
    [InlineData("10")]
    public void The_noise_rule_is_stated_where_it_is_read(string notebook) =>
        Assert.Contains($"less than {Times(Findings.NoiseMultiple)} the noise", Flat(Markdown(notebook)));

    [Fact]
    public void The_lesion_rules_are_stated_in_notebook_07_as_the_library_applies_them()
    {
        var text = Flat(Markdown("07"));
        string Number(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
        Assert.Contains($"chance ({Number(Findings.ChancePercent)} %)", text);
        Assert.Contains($"at least {Number(Findings.MeasurableMarginPoints)} points better than chance", text);
        Assert.Contains($"less than {Words(Findings.SurvivalShareOfWayToChance)} of the way from the intact error to chance", text);
        Assert.Contains($"within {Number(Findings.NearChancePoints)} points of chance", text);
        Assert.Contains($"more than {Words(Findings.SmoothLargestStepShare)} of the whole rise", text);
        Assert.Contains($"carries {Number(100 * Findings.EffectiveGradientShare)} % of the gradient", text);
        var paper = LesionFacts.Paper;
        Assert.Contains($"{paper.From}–{paper.To} of {paper.Blocks} blocks", text);
    }

    [Fact]
    public void The_gradient_rule_is_stated_in_notebook_08_as_the_library_applies_it()
    {
        var text = Flat(Markdown("08"));
        var factor = Findings.GradientSpreadFactor.ToString("0", CultureInfo.InvariantCulture);
        Assert.Contains($"when it is more than {factor}", text);
        Assert.Contains($"when it is less than 1/{factor}", text);
    }

    [Fact]
    public void The_names_the_markdown_explains_are_the_names_the_table_shows()
    {
        // a renamed record member would leave the markdown explaining a row that is no longer there
        var named = new Dictionary<string, Type>
        {
            ["02"] = typeof(DegradationFacts), ["03"] = typeof(ShortcutOptionFacts), ["04"] = typeof(BottleneckFacts),
            ["05"] = typeof(VeryDeepFacts), ["07"] = typeof(LesionFacts), ["08"] = typeof(GradientFlowFacts),
            ["09"] = typeof(LandscapeFacts), ["10"] = typeof(PreActivationFacts),
        };
        var members = typeof(Findings).Assembly.GetTypes().Where(t => t.Namespace == typeof(Findings).Namespace)
            .SelectMany(t => t.GetProperties().Select(p => p.Name)).ToHashSet();
        members.UnionWith(typeof(Findings).GetMethods().Select(m => m.Name));
        foreach (var (prefix, type) in named)
        {
            var text = Markdown(prefix);
            Assert.All(type.GetProperties().Where(p => p.GetMethod!.IsPublic && !p.GetMethod.IsStatic && p.Name != "EqualityContract"),
                p => Assert.True(text.Contains($"`{p.Name}`", StringComparison.Ordinal),
                                 $"notebook {prefix} does not explain {type.Name}.{p.Name}"));
            // and every `Name` in the What-we-saw markdown is something the library has
            var saw = text[text.IndexOf("## What we saw", StringComparison.Ordinal)..];
            saw = saw[..Math.Max(0, saw.IndexOf("## Exercises", StringComparison.Ordinal))];
            foreach (Match m in Regex.Matches(saw, @"`(?:Findings\.)?([A-Z][A-Za-z0-9]+)`"))
                Assert.True(members.Contains(m.Groups[1].Value), $"notebook {prefix} explains `{m.Groups[1].Value}`, which no findings record has");
        }
    }
}
