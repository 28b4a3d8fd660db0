using System.Text.RegularExpressions;

namespace ResNetLab.Tests;

/// <summary>
/// The library's shape, checked on its source: namespaces form layers that depend only downwards (data flows one way:
/// data → model → trainer → run record → analysis → charts), model facts come from the registry's specs, and CLI flag
/// words stay in the CLI. A reference is any <c>ResNetLab.X</c> in a file of namespace <c>ResNetLab.Y</c>.
/// </summary>
public class ArchitectureTests
{
    /// <summary>Lower layers first; a namespace may use only those before it.</summary>
    static readonly string[] Layers = ["Runtime", "Data", "Models", "Paper", "Training", "Analysis", "Charts", "Sweeps", "Diagnostics"];

    static IEnumerable<string> LibrarySources() => Sources("ResNetLab.Core").Concat(Sources("ResNetLab"));

    static IEnumerable<string> Sources(string project) =>
        Directory.EnumerateFiles(Path.Combine(TestPaths.Root, "src", project), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") &&
                        !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"));

    [Fact]
    public void The_core_stands_alone_small_with_no_environment_and_no_study_tools()
    {
        var core = Path.Combine(TestPaths.Root, "src", "ResNetLab.Core");
        var project = File.ReadAllText(Path.Combine(core, "ResNetLab.Core.csproj"));
        Assert.DoesNotContain("ProjectReference", project, StringComparison.Ordinal);   // the compiler enforces the rest
        var files = Sources("ResNetLab.Core").ToList();
        var lines = files.Sum(f => File.ReadLines(f).Count());
        Assert.True(lines <= 3_500, $"src/ResNetLab.Core has {lines:N0} lines; the core is meant to be read in one sitting (≤ 3,500)");
        var forbidden = new Regex(@"Environment\.GetEnvironmentVariable|\bLesion|\bGradientRoute|\bRoute\b|Microsoft\.Data\.Analysis|Plotly");
        var offenders = files.SelectMany(f => File.ReadLines(f).Select((line, i) => (f, line, i)))
            .Where(x => forbidden.IsMatch(x.line))
            .Select(x => $"{Path.GetFileName(x.f)}:{x.i + 1}: {x.line.Trim()}").ToList();
        Assert.Empty(offenders);
        // What the issue names as the core is there: blocks, the model and its registry, data, the loop and its config.
        foreach (var name in new[] { "Models/Blocks.cs", "Models/ResNetModel.cs", "Models/ModelZoo.cs", "Data/CifarLoader.cs",
                                     "Training/Trainer.cs", "Training/RunConfig.cs", "Training/MomentumSgd.cs", "Training/LearningRateSchedule.cs" })
            Assert.True(File.Exists(Path.Combine(core, name)), $"{name} is not in the core");
    }

    static string Layer(string ns) => ns.Split('.')[1];

    [Fact]
    public void Namespaces_depend_only_on_lower_layers()
    {
        var violations = new List<string>();
        foreach (var file in LibrarySources())
        {
            var text = File.ReadAllText(file);
            var ns = Regex.Match(text, @"^namespace (ResNetLab\.\w+)", RegexOptions.Multiline);
            Assert.True(ns.Success, $"{file} has no file-scoped ResNetLab namespace");
            var own = Array.IndexOf(Layers, Layer(ns.Groups[1].Value));
            Assert.True(own >= 0, $"{file}: namespace {ns.Groups[1].Value} is not in the layer list {string.Join(" < ", Layers)}");
            foreach (Match m in Regex.Matches(text, @"\bResNetLab\.(\w+)"))
            {
                var used = Array.IndexOf(Layers, m.Groups[1].Value);
                if (used > own) violations.Add($"{Path.GetFileName(file)} ({Layers[own]}) uses ResNetLab.{m.Groups[1].Value}");
            }
        }
        Assert.Empty(violations.Distinct());
    }

    [Fact]
    public void Model_facts_are_never_parsed_from_names_outside_the_registry()
    {
        var pattern = new Regex(@"StartsWith\(""(plain|resnet)|Contains\(""bottleneck""|Replace\(""(resnet|plain)""|TakeWhile\(char\.IsDigit\)");
        var offenders = LibrarySources().Where(f => !f.Contains($"{Path.DirectorySeparatorChar}Models{Path.DirectorySeparatorChar}"))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, line, i)))
            .Where(x => pattern.IsMatch(x.line))
            .Select(x => $"{Path.GetFileName(x.f)}:{x.i + 1}: {x.line.Trim()}").ToList();
        Assert.Empty(offenders);
    }

    [Fact]
    public void Cli_flag_words_stay_in_the_cli()
    {
        // A library message that names `--budget` is wrong for a notebook user; the CLI adds the flag (CliParse.Flag).
        var flag = new Regex(@"""[^""]*--(budget|split|normalize|dataset|layout|device|threads|data|runs|force|warmup|shortcut|seed|model)\b");
        var offenders = LibrarySources().SelectMany(f => File.ReadLines(f).Select((line, i) => (f, line, i)))
            .Where(x => !x.line.TrimStart().StartsWith("//", StringComparison.Ordinal) && flag.IsMatch(x.line))
            .Where(x => !x.line.Contains(".ArgumentList.Add", StringComparison.Ordinal))   // another program's flags (bench's PyTorch script)
            .Select(x => $"{Path.GetFileName(x.f)}:{x.i + 1}: {x.line.Trim()}").ToList();
        Assert.Empty(offenders);
    }
}
