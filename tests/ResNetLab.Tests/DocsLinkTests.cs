using System.Text;
using System.Text.RegularExpressions;

namespace ResNetLab.Tests;

/// <summary>
/// The README and docs/ are what a new user follows and what instructors publish: every relative link and image in them must
/// reach a file of the checkout, and every #anchor a heading of the page it names (GitHub's heading ids).
/// </summary>
public partial class DocsLinkTests
{
    [GeneratedRegex(@"\[[^\]]*\]\(([^)\s]+)\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"^#{1,6}\s+(.+?)\s*#*\s*$")]
    private static partial Regex Heading();

    /// <summary>README.md, docs/*.md and the READMEs of the checkout's folders (not build outputs, runs, reports or dot-folders).</summary>
    static IEnumerable<string> Pages()
    {
        string[] skipped = ["artifacts", "runs", "bin", "obj"];
        return Directory.GetFiles(Path.Combine(TestPaths.Root, "docs"), "*.md").Concat(Directory.GetFiles(TestPaths.Root, "README.md", SearchOption.AllDirectories)
            .Where(p => !Path.GetRelativePath(TestPaths.Root, p).Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('.') || skipped.Contains(part))));
    }

    /// <summary>A page's lines outside fenced code blocks, with their line numbers.</summary>
    static IEnumerable<(int Number, string Text)> Prose(string page)
    {
        var fenced = false;
        var number = 0;
        foreach (var line in File.ReadLines(page))
        {
            number++;
            if (line.TrimStart().StartsWith("```")) fenced = !fenced;
            else if (!fenced) yield return (number, line);
        }
    }

    /// <summary>GitHub's id of a heading: lower case, punctuation dropped, spaces to hyphens (code marks and links dropped first).</summary>
    public static string Slug(string heading)
    {
        var text = Regex.Replace(heading, @"\[([^\]]*)\]\([^)]*\)", "$1").Replace("`", "").ToLowerInvariant();
        var slug = new StringBuilder();
        foreach (var c in text)
            if (char.IsLetterOrDigit(c) || c is '-' or '_') slug.Append(c);
            else if (c == ' ') slug.Append('-');
        return slug.ToString();
    }

    static HashSet<string> Anchors(string page)
    {
        var ids = new HashSet<string>();
        var seen = new Dictionary<string, int>();
        foreach (var (_, line) in Prose(page))
        {
            if (Heading().Match(line) is not { Success: true } m) continue;
            var slug = Slug(m.Groups[1].Value);
            var n = seen.GetValueOrDefault(slug);
            seen[slug] = n + 1;
            ids.Add(n == 0 ? slug : $"{slug}-{n}");   // GitHub numbers repeated headings
        }
        return ids;
    }

    [Fact]
    public void Slugs_follow_githubs_rules()
    {
        Assert.Equal("this-projects-long-reference-curves-12800-iterations-the-papers-recipe",
            Slug("This project's long reference curves (12,800 iterations, the paper's recipe)"));
        Assert.Equal("reference-nets-fully-trained-resnet-20324456", Slug("Reference nets (fully trained ResNet-20/32/44/56)"));
        Assert.Equal("the-depth-budget", Slug("The `depth` budget"));
    }

    [Fact]
    public void Every_relative_link_in_the_readme_and_docs_reaches_a_file_and_heading()
    {
        var broken = new List<string>();
        var pages = Pages().ToList();
        Assert.Contains(pages, p => p.EndsWith("results.md"));
        Assert.Contains(Path.Combine(TestPaths.Root, "README.md"), pages);
        var anchors = new Dictionary<string, HashSet<string>>();
        foreach (var page in pages)
            foreach (var (lineNumber, line) in Prose(page))
                foreach (Match m in Link().Matches(line))
                {
                    var target = m.Groups[1].Value;
                    if (target.Contains("://") || target.StartsWith("mailto:")) continue;
                    var (file, anchor) = target.Split('#', 2) is [var f, var a] ? (f, a) : (target, null);
                    var path = file.Length == 0 ? page : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(page)!, Uri.UnescapeDataString(file)));
                    var where = $"{Path.GetRelativePath(TestPaths.Root, page)}:{lineNumber} → {target}";
                    if (!File.Exists(path) && !Directory.Exists(path)) broken.Add($"{where}: no such file");
                    else if (anchor is not null && path.EndsWith(".md") && !(anchors.TryGetValue(path, out var ids) ? ids : anchors[path] = Anchors(path)).Contains(anchor))
                        broken.Add($"{where}: no heading with that id in {Path.GetFileName(path)}");
                }
        Assert.True(broken.Count == 0, "broken links:\n" + string.Join("\n", broken));
    }
}
