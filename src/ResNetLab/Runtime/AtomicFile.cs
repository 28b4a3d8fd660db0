using System.Text;

namespace ResNetLab.Runtime;

/// <summary>Files replaced whole: written to a temporary file beside the target, flushed, then renamed over it.</summary>
public static class AtomicFile
{
    /// <summary>Readers (a notebook, `resnet sweep status`, a second process) never see half a file, and a kill leaves the old one.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>UTF-8 text (no byte-order mark), replaced atomically.</summary>
    public static void WriteText(string path, string text) =>
        Write(path, stream => { using var w = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true); w.Write(text); });
}
