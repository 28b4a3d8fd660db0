namespace ResNetLab.Runtime;

/// <summary>
/// The one error of every reader of outside bytes (weights, checkpoints, run records, datasets): an
/// <see cref="InvalidDataException"/> whose message starts with the file's path and says what was wrong, and whose
/// <see cref="Exception.Data"/> carries the path under <see cref="PathKey"/>. Nothing was loaded from the file.
/// (InvalidDataException is sealed; reusing it keeps every existing catch — CLI exit 2, run listing — working.)
/// </summary>
public static class InputFile
{
    /// <summary>The key of the file's path in <see cref="Exception.Data"/>.</summary>
    public const string PathKey = "ResNetLab.InputFile";

    /// <summary>The error for <paramref name="path"/>: "{path}: {problem}".</summary>
    public static InvalidDataException Invalid(string path, string problem, Exception? inner = null)
    {
        var e = new InvalidDataException($"{path}: {problem}", inner);
        e.Data[PathKey] = path;
        return e;
    }

    /// <summary>The file an error is about, when it came from <see cref="Invalid"/>.</summary>
    public static string? PathOf(Exception e) => e.Data[PathKey] as string;

    /// <summary>
    /// Run a reader over <paramref name="path"/>: every exception that malformed bytes can cause (bad lengths, casts,
    /// overflow, an early end, libtorch rejecting a view) becomes one <see cref="Invalid"/> error naming the file.
    /// A missing file stays a <see cref="FileNotFoundException"/>.
    /// </summary>
    public static T Guard<T>(string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (PathOf(e) is null && IsMalformedInput(e))
        {
            throw Invalid(path, Describe(e), e);
        }
    }

    /// <summary>Exceptions that, thrown while parsing a file, mean its bytes are wrong (not a missing file or a cancel).</summary>
    public static bool IsMalformedInput(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or OperationCanceledException => false,
        InvalidDataException or EndOfStreamException or FormatException or OverflowException or InvalidCastException
            or ArgumentException or IndexOutOfRangeException or KeyNotFoundException or NullReferenceException
            or System.Text.Json.JsonException or NotSupportedException or InvalidOperationException
            or System.Runtime.InteropServices.ExternalException or OutOfMemoryException or IOException => true,
        _ => false,
    };

    static string Describe(Exception e) => e switch
    {
        EndOfStreamException => "the file ends early (truncated?)",
        InvalidDataException => e.Message,
        _ => $"malformed or damaged ({e.GetType().Name}: {e.Message.Split('\n', 2)[0].Trim()})",
    };
}
