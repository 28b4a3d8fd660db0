using Spectre.Console.Cli;

namespace ResNetLab.Cli;

/// <summary>
/// Turns expected failures into one clear error on standard error, not a stack trace: bad flags and files exit 2; a write
/// the disk refused (full, read-only: <see cref="ResNetLab.Runtime.DiskWriteException"/>) exits 1, the job failed.
/// </summary>
public static class CliErrors
{
    /// <summary>Run the command line's body; an expected failure becomes <see cref="Line"/> and its exit code.</summary>
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (ResNetLab.Runtime.DiskWriteException e)
        {
            Report(e.Message);
            return 1;
        }
        catch (Exception e) when (e is CommandParseException or CommandRuntimeException or ArgumentException
                                      or FileNotFoundException or DirectoryNotFoundException or InvalidDataException
                                      or InvalidOperationException)
        {
            Report(e.Message);
            return 2;
        }
    }

    /// <summary>
    /// The error as printed: "error: " and the message, never wrapped at the terminal's width — messages name long paths,
    /// and a path broken over two lines cannot be copied or grepped. A message that is a list (its own line breaks)
    /// keeps them.
    /// </summary>
    public static string Line(string message) => "error: " + message.ReplaceLineEndings("\n").Trim();

    static void Report(string message)
    {
        Console.Out.Flush();
        var line = Line(message);
        // Red "error:" only on a terminal; redirected output (logs, CI, tests) gets the plain line.
        Console.Error.WriteLine(Console.IsErrorRedirected ? line : "\u001b[31merror:\u001b[0m" + line["error:".Length..]);
    }
}
