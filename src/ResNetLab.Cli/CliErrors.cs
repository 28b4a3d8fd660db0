using Spectre.Console;
using Spectre.Console.Cli;

namespace ResNetLab.Cli;

/// <summary>
/// Turns expected failures into one clear line, not a stack trace: bad flags and files exit 2; a write the disk refused
/// (full, read-only: <see cref="ResNetLab.Runtime.DiskWriteException"/>) exits 1, the job failed.
/// </summary>
public static class CliErrors
{
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (ResNetLab.Runtime.DiskWriteException e)
        {
            Console.Out.Flush();
            Console.Error.WriteLine($"error: {e.Message}");   // one line, unwrapped: it names long paths
            return 1;
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
