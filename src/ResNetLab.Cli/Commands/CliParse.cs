using ResNetLab.Training;
using ResNetLab.Models;

namespace ResNetLab.Cli.Commands;

/// <summary>Flag values shared by train, eval and bench.</summary>
static class CliParse
{
    public static ShortcutOption? Shortcut(string? text) => text is null ? null
        : Enum.TryParse<ShortcutOption>(text, ignoreCase: true, out var o) && Enum.IsDefined(o) ? o
        : throw new ArgumentException($"--shortcut '{text}' is not one of: A, B, C");

    public static bool? Warmup(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => null,
        "on" or "true" or "yes" => true,
        "off" or "false" or "no" => false,
        _ => throw new ArgumentException($"--warmup '{text}' is not one of: auto (paper: ≥110 layers), on, off"),
    };

    /// <summary>
    /// Parse a flag's value with the library's parser; its error (which names the value and what is allowed, not the
    /// flag — flag words live only here) comes back prefixed with the flag.
    /// </summary>
    public static T Flag<T>(string flag, Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (ArgumentException e) when (!e.Message.StartsWith(flag, StringComparison.Ordinal))
        {
            throw new ArgumentException($"{flag}: {e.Message}", e);
        }
    }

    /// <summary>
    /// The run settings (<see cref="RunSettings.Resolve"/>) from the command's flags; a bad value comes back as an error
    /// naming its flag (--budget, --precision, --data, --runs, --threads).
    /// </summary>
    public static RunSettings Settings(SettingsRequest request)
    {
        try { return RunSettings.Resolve(request); }
        catch (SettingException e) { throw new ArgumentException(e.Describe($"--{e.Setting}"), e); }
    }

    /// <summary>A layout flag: null (the engine's default for the device), nchw or nhwc.</summary>
    public static bool? Layout(string flag, string? layout) => layout?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => null,
        "nchw" => false,
        "nhwc" or "channels-last" => true,
        _ => throw new ArgumentException($"{flag} must be nchw or nhwc (channels-last), not '{layout}'"),
    };

    public static string Duration(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:00}m" : t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes}m{t.Seconds:00}s" : $"{t.TotalSeconds:0.0}s";
}
