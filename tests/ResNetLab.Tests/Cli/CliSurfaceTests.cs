using System.ComponentModel;
using System.Diagnostics;
using System.Reflection;
using ResNetLab.Cli;
using Spectre.Console.Cli;

namespace ResNetLab.Tests.Cli;

/// <summary>The CLI's surface: strict flags with suggestions, every option described, a version.</summary>
public class CliSurfaceTests
{
    static readonly Assembly CliAssembly = typeof(CliSurface).Assembly;

    static IEnumerable<Type> SettingsTypes() =>
        CliAssembly.GetTypes().Where(t => typeof(CommandSettings).IsAssignableFrom(t) && !t.IsAbstract);

    [Fact]
    public void Every_option_of_every_command_is_described()
    {
        var undocumented = SettingsTypes()
            .SelectMany(t => t.GetProperties().Where(p => p.GetCustomAttribute<CommandOptionAttribute>() is not null ||
                                                        p.GetCustomAttribute<CommandArgumentAttribute>() is not null)
                              .Where(p => string.IsNullOrWhiteSpace(p.GetCustomAttribute<DescriptionAttribute>()?.Description))
                              .Select(p => $"{t.DeclaringType?.Name ?? t.Name}.{p.Name}"))
            .ToList();
        Assert.True(SettingsTypes().Count() >= 8);
        Assert.Empty(undocumented);
    }

    [Theory]
    [InlineData("--bugdet", "--budget")]
    [InlineData("--modle", "--model")]
    [InlineData("--thread", "--threads")]
    public void A_misspelt_flag_names_the_closest_real_one(string typo, string meant)
    {
        var closest = CliSurface.Flags(typeof(ResNetLab.Cli.Commands.TrainCommand.Settings))
            .Where(f => f.StartsWith("--", StringComparison.Ordinal)).MinBy(f => CliSurface.Distance(typo, f));
        Assert.Equal(meant, closest);
    }

    static (int Code, string Output) Resnet(params string[] args) => ResnetWithRuns(null, args);

    /// <summary>`resnet ARGS` with RESNET_RUNS set to <paramref name="runsDir"/> (null: inherited).</summary>
    static (int Code, string Output) ResnetWithRuns(string? runsDir, params string[] args) =>
        ResnetWithEnv(runsDir is null ? [] : new() { ["RESNET_RUNS"] = runsDir }, args);

    /// <summary>`resnet ARGS` with <paramref name="env"/> set on top of the inherited environment.</summary>
    static (int Code, string Output) ResnetWithEnv(Dictionary<string, string> env, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in env) info.Environment[k] = v;
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "resnet.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        if (!env.ContainsKey("COLUMNS")) info.Environment["COLUMNS"] = "200";
        using var p = Process.Start(info)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(2)), $"resnet {string.Join(' ', args)} did not finish");
        return (p.ExitCode, output.Result + error.Result);
    }

    [Fact]
    public void Unknown_flags_fail_before_any_work_and_help_and_version_answer()
    {
        var (code, output) = Resnet("bench", "--model", "resnet20", "--bogus-flag", "3");
        Assert.Equal(2, code);
        Assert.Contains("resnet bench: unknown flag --bogus-flag", output);

        (code, output) = Resnet("data", "info", "--jsno");
        Assert.Equal(2, code);
        Assert.Contains("did you mean --json?", output);

        (code, output) = Resnet("reports", "--precision", "bf61", "--notebooks", "00", "--no-browser");
        Assert.NotEqual(0, code);
        Assert.Contains("--precision: precision 'bf61' is not one of: fp32, bf16, auto", output);
        Assert.DoesNotContain("executing", output);   // refused before any notebook starts

        // train, sweep and reports resolve their settings by one rule: a bad value names its flag, or the variable it came from.
        (code, output) = Resnet("train", "--model", "resnet20", "--budget", "smok");
        Assert.NotEqual(0, code);
        Assert.Contains("--budget: ", output);
        Assert.Contains("'smok'", output);
        (code, output) = ResnetWithEnv(new() { ["RESNET_BUDGET"] = "smok" }, "sweep", "status", "--plan", "degradation");
        Assert.NotEqual(0, code);
        Assert.Contains("RESNET_BUDGET (no --budget given): ", output);

        var runs = TestPaths.TempDir("dry-run");
        try
        {
            (code, output) = ResnetWithRuns(runs, "reports", "--budget", "smoke", "--precision", "bf16", "--notebooks", "02", "--dry-run");
            Assert.True(code == 0, output);
            Assert.Contains("plan (budget smoke, precision bf16", output);
            Assert.Contains("02-degradation: 4 run(s): 0 reused, 4 to train (plain20-cifar10-smoke-bf16-s0", output);
            Assert.Contains("estimated training time", output);
            Assert.DoesNotContain("executing", output);
            Assert.Empty(Directory.GetFileSystemEntries(runs));   // a dry run trains nothing
        }
        finally { Directory.Delete(runs, true); }

        (code, output) = Resnet("--version");
        Assert.Equal(0, code);
        Assert.Matches(@"^\d+\.\d+\.\d+", output.Trim());

        foreach (var command in new[] { "train", "eval", "bench", "models", "doctor", "reports" })
        {
            (code, output) = Resnet(command, "--help");
            Assert.True(code == 0, output);
            Assert.Contains("EXAMPLES:", output);
        }
    }

    [Fact]
    public void An_error_is_one_unwrapped_line_on_standard_error_however_narrow_the_terminal()
    {
        // A path longer than the terminal is wide: Spectre's markup wrapped it over several lines before.
        var missing = Path.Combine(Path.GetTempPath(), string.Concat(Enumerable.Repeat("a-long-folder-name/", 8)), "runs", "resnet20-A-cifar10-smoke-s0");
        var (code, output) = ResnetWithEnv(new() { ["COLUMNS"] = "40" }, "eval", "--run", missing);
        Assert.Equal(2, code);
        var errors = output.ReplaceLineEndings("\n").Split('\n').Where(l => l.Contains("error", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(errors);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(missing, line, StringComparison.Ordinal);
        Assert.Equal("error: a\nb", CliErrors.Line(" a\r\nb\n"));   // a list keeps its lines; nothing else breaks one
    }

    /// <summary>
    /// Reports from runs trained elsewhere (issue 27): --reuse-only refuses before any kernel starts, listing each missing
    /// run and the command that trains it; with every run finished in --runs it renders.
    /// </summary>
    [Fact]
    public void Reuse_only_refuses_up_front_with_the_missing_runs_and_renders_when_none_is_missing()
    {
        var dir = TestPaths.TempDir("reuse-only-cli");
        var runs = Path.Combine(dir, "runs-from-a-gpu-box");
        Directory.CreateDirectory(runs);
        try
        {
            var (code, output) = Resnet("reports", "--budget", "smoke", "--notebooks", "02,03", "--runs", runs, "--reuse-only", "--out", Path.Combine(dir, "out"));
            Assert.True(code == 2, output);
            Assert.Contains($"--reuse-only: 6 run(s) the notebooks need are not finished in {runs}:", output);
            Assert.Contains("plain56-cifar10-smoke-s0 (02-degradation): not trained", output);
            Assert.Contains("resnet20-C-cifar10-smoke-s0 (03-shortcut-options): not trained", output);
            Assert.Contains("environment/resnet reports --budget smoke --notebooks 02,03 --no-browser", output);
            Assert.DoesNotContain("executing", output);
            Assert.Empty(Directory.GetFileSystemEntries(runs));       // nothing trained
            Assert.False(Directory.Exists(Path.Combine(dir, "out")));  // nothing rendered

            // nothing missing (00 trains nothing): the render goes ahead
            (code, output) = Resnet("reports", "--budget", "smoke", "--notebooks", "00", "--runs", runs, "--reuse-only", "--no-browser", "--out", Path.Combine(dir, "out"));
            Assert.True(code == 0, output);
            Assert.Contains("executing 00-setup", output);
            Assert.True(File.Exists(Path.Combine(dir, "out", "00-setup.html")));
            Assert.Contains("00-setup at budget smoke: trains nothing.", File.ReadAllText(Path.Combine(dir, "out", "00-setup.ipynb")));   // its first output
        }
        finally { Directory.Delete(dir, true); }
    }
}
