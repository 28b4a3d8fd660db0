using System.Reflection;
using Spectre.Console.Cli;

namespace ResNetLab.Cli;

/// <summary>
/// Every command's flags, read from its settings class, so that a misspelt or unknown flag is an error that names the
/// closest real one (`resnet train --bugdet full` must not train at the default budget on a cluster).
/// </summary>
public static class CliSurface
{
    static readonly List<(string[] Path, Type Settings)> commands = [];

    /// <summary>Register a command and remember its flags (use instead of AddCommand).</summary>
    public static ICommandConfigurator Add<TCommand>(IConfigurator config, string name, params string[] parents) where TCommand : class, ICommand
    {
        commands.Add(([.. parents, name], SettingsOf(typeof(TCommand))));
        return config.AddCommand<TCommand>(name);
    }

    /// <inheritdoc cref="Add{TCommand}(IConfigurator, string, string[])"/>
    public static ICommandConfigurator Add<TCommand>(IConfigurator<CommandSettings> branch, string name, params string[] parents) where TCommand : class, ICommandLimiter<CommandSettings>
    {
        commands.Add(([.. parents, name], SettingsOf(typeof(TCommand))));
        return branch.AddCommand<TCommand>(name);
    }

    static Type SettingsOf(Type command)
    {
        for (var t = command; t is not null; t = t.BaseType)
            if (t.IsGenericType && t.GetGenericArguments() is [var s] && typeof(CommandSettings).IsAssignableFrom(s)) return s;
        throw new InvalidOperationException($"{command.Name} has no settings type");
    }

    /// <summary>The long and short flag names a settings class accepts (e.g. --model, --json).</summary>
    public static IReadOnlyList<string> Flags(Type settings) =>
        settings.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => p.GetCustomAttribute<CommandOptionAttribute>())
            .Where(a => a is not null)
            .SelectMany(a => a!.LongNames.Select(n => "--" + n).Concat(a.ShortNames.Select(n => "-" + n)))
            .Append("--help").Append("-h")
            .ToList();

    /// <summary>Every registered command path with its settings class (for tests and the help check).</summary>
    public static IReadOnlyList<(string[] Path, Type Settings)> Commands => commands;

    /// <summary>
    /// Throws <see cref="ArgumentException"/> for the first flag the chosen command does not have, suggesting the closest
    /// one. Values are not checked here (each command parses its own); unknown commands are left to the parser.
    /// </summary>
    public static void Validate(IReadOnlyList<string> args)
    {
        var command = commands.Where(c => c.Path.Length <= args.Count && c.Path.SequenceEqual(args.Take(c.Path.Length), StringComparer.Ordinal))
                              .OrderByDescending(c => c.Path.Length).FirstOrDefault();
        if (command.Path is null) return;
        var known = Flags(command.Settings);
        foreach (var arg in args.Skip(command.Path.Length))
        {
            if (arg == "--") break;
            if (!arg.StartsWith('-') || arg.Length < 2 || char.IsDigit(arg[1]) || arg[1] == '.') continue;   // values, negative numbers
            var flag = arg.Split('=', 2)[0];
            if (known.Contains(flag, StringComparer.Ordinal)) continue;
            var closest = known.Where(k => k.StartsWith("--", StringComparison.Ordinal))
                               .Select(k => (Flag: k, Distance: Distance(flag, k))).OrderBy(k => k.Distance).First();
            var usage = $"resnet {string.Join(' ', command.Path)}";
            throw new ArgumentException($"{usage}: unknown flag {flag}" +
                (closest.Distance <= Math.Max(2, flag.Length / 3) ? $"; did you mean {closest.Flag}?" : "") +
                $" (see `{usage} --help`)");
        }
    }

    /// <summary>Levenshtein distance (insert, delete, substitute; a swap of neighbours counts once).</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
