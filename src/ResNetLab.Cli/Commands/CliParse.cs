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

    public static string Duration(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:00}m" : t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes}m{t.Seconds:00}s" : $"{t.TotalSeconds:0.0}s";
}
