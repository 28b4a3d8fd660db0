using Spectre.Console;
using Spectre.Console.Cli;

namespace ResNetLab.Cli;

/// <summary>Turns expected failures (bad flags, bad files) into one clear line and exit code 2, not a stack trace.</summary>
public static class CliErrors
{
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is CommandParseException or CommandRuntimeException or ArgumentException
                                      or FileNotFoundException or DirectoryNotFoundException or InvalidDataException
                                      or InvalidOperationException)
        {
            AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
            return 2;
        }
    }
}
