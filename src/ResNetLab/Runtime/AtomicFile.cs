using System.Text;

namespace ResNetLab.Runtime;

/// <summary>
/// A write that failed for want of room or permission (a full disk, a quota, a read-only folder): one sentence naming
/// the folder, what was being written and why — what the CLI prints as its one error line (exit 1).
/// </summary>
public sealed class DiskWriteException(string folder, string file, string what, string reason, Exception inner, string? advice = null)
    : IOException($"could not write {what} ({Path.GetFileName(file)}) in {folder}: {reason}" + (advice is null ? "" : $"; {advice}"), inner)
{
    /// <summary>The same error with what the user can do about it appended (e.g. how to resume).</summary>
    public DiskWriteException WithAdvice(string advice) => new(Folder, File, What, Reason, InnerException!, advice);

    /// <summary>The folder written to.</summary>
    public string Folder { get; } = folder;

    /// <summary>The file that could not be written.</summary>
    public string File { get; } = file;

    /// <summary>What it holds, in words (e.g. "the checkpoint").</summary>
    public string What { get; } = what;

    /// <summary>Why, e.g. "no space left on device".</summary>
    public string Reason { get; } = reason;
}

/// <summary>Files replaced whole: written to a temporary file beside the target, flushed, then renamed over it.</summary>
public static class AtomicFile
{
    /// <summary>
    /// Readers (a notebook, `resnet sweep status`, a second process) never see half a file, and a kill leaves the old one.
    /// A write that fails (full disk, read-only folder) removes its temporary file, leaves the old file as it was and
    /// throws <see cref="DiskWriteException"/> naming <paramref name="what"/> (default: the file's name).
    /// </summary>
    public static void Write(string path, Action<Stream> write, string? what = null) =>
        Replace(path, temp =>
        {
            using var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None);
            write(stream);
            stream.Flush(flushToDisk: true);
        }, what);

    /// <summary>UTF-8 text (no byte-order mark), replaced atomically.</summary>
    public static void WriteText(string path, string text, string? what = null) =>
        Write(path, stream => { using var w = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true); w.Write(text); }, what);

    /// <summary>
    /// The same for writers that want a path (native savers, other tools): <paramref name="writeTemp"/> writes the
    /// temporary path given to it, which is then renamed over <paramref name="path"/>.
    /// </summary>
    public static void Replace(string path, Action<string> writeTemp, string? what = null)
    {
        var full = Path.GetFullPath(path);
        var temp = $"{full}.{Environment.ProcessId}.tmp";
        Guard(full, what, () =>
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                writeTemp(temp);
                File.Move(temp, full, overwrite: true);
            }
            finally
            {
                try { if (File.Exists(temp)) File.Delete(temp); }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
            }
        });
    }

    /// <summary>Runs a write to <paramref name="path"/>; a full disk or a folder that refuses it becomes <see cref="DiskWriteException"/>.</summary>
    public static void Guard(string path, string? what, Action write)
    {
        try { write(); }
        catch (Exception e) when (Refusal(e) is { } reason)
        {
            var full = Path.GetFullPath(path);
            throw new DiskWriteException(Path.GetDirectoryName(full) ?? full, full, what ?? Path.GetFileName(full), reason, e);
        }
    }

    /// <summary>Why the filesystem refused a write, in words; null for errors that are not about room or permission.</summary>
    public static string? Refusal(Exception e) => e switch
    {
        DiskWriteException => null,
        UnauthorizedAccessException => "permission denied (is the folder read-only or owned by another user?)",
        // On Unix .NET keeps the errno as the HResult of the IOException it raises.
        IOException { HResult: 28 } => "no space left on device",
        IOException { HResult: 122 } => "disk quota exceeded (no space left for this user)",
        IOException { HResult: 30 } => "the filesystem is read-only",
        IOException io when io.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase) => "no space left on device",
        IOException io when io.Message.Contains("Read-only file system", StringComparison.OrdinalIgnoreCase) => "the filesystem is read-only",
        _ => null,
    };
}
