using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace ResNetLab.Data;

/// <summary>
/// Fetches and installs the official CIFAR binary archive: download to a temporary file, verify its md5, extract with
/// .NET's own tar/gzip readers into a temporary folder, check every file's size, mark the folder official, and only
/// then move it into place. A failure at any step leaves no partial dataset behind.
/// </summary>
public static class CifarDownloader
{
    /// <summary>Download <paramref name="format"/>'s archive into <paramref name="parentDir"/>; returns the dataset folder.</summary>
    public static async Task<string> DownloadAsync(CifarFormat format, string parentDir, HttpClient? http = null,
        IProgress<(long Done, long? Total)>? progress = null, CancellationToken cancellation = default)
    {
        Directory.CreateDirectory(parentDir);
        var part = Path.Combine(parentDir, $".{Path.GetFileName(new Uri(format.ArchiveUrl).LocalPath)}.{Guid.NewGuid():N}.part");
        var ownClient = http is null;
        http ??= new HttpClient { Timeout = TimeSpan.FromMinutes(30) };
        try
        {
            using (var response = await http.GetAsync(format.ArchiveUrl, HttpCompletionOption.ResponseHeadersRead, cancellation))
            {
                if (!response.IsSuccessStatusCode)
                    throw new InvalidOperationException($"downloading {format.ArchiveUrl} failed: HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
                var total = response.Content.Headers.ContentLength;
                await using var source = await response.Content.ReadAsStreamAsync(cancellation);
                await using var target = File.Create(part);
                var buffer = new byte[1 << 20];
                long done = 0;
                for (int n; (n = await source.ReadAsync(buffer, cancellation)) > 0;)
                {
                    await target.WriteAsync(buffer.AsMemory(0, n), cancellation);
                    done += n;
                    progress?.Report((done, total));
                }
            }
            return InstallArchive(part, format, parentDir);
        }
        catch (Exception e) when (Runtime.AtomicFile.Refusal(e) is { } reason)
        {
            throw new Runtime.DiskWriteException(parentDir, part, $"the {format.DisplayName} archive or its extracted files", reason, e);
        }
        catch (HttpRequestException e)
        {
            throw new InvalidOperationException($"cannot download {format.ArchiveUrl}: {e.Message}. Without internet: RESNET_DATA (or the data path) " +
                                                $"pointing at an existing {format.Folder}" +
                                                (format == CifarFormat.Cifar10 ? ", or the offline mirror: bash ../shared/data/cifar10/build.sh data" : ""), e);
        }
        finally
        {
            if (ownClient) http.Dispose();
            if (File.Exists(part)) File.Delete(part);
        }
    }

    /// <summary>Lower-case hex MD5 of a file, to check the archive against the published checksum.</summary>
    public static string Md5Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(MD5.HashData(stream));
    }

    /// <summary>
    /// Verify <paramref name="archivePath"/> against <paramref name="expectedMd5"/> (default: the format's official md5),
    /// extract it and move the dataset folder to <paramref name="parentDir"/>/<c>Folder</c>, replacing any previous copy.
    /// </summary>
    public static string InstallArchive(string archivePath, CifarFormat format, string parentDir, string? expectedMd5 = null)
    {
        expectedMd5 ??= format.ArchiveMd5;
        var md5 = Md5Of(archivePath);
        if (!string.Equals(md5, expectedMd5, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"{archivePath} has md5 {md5}, expected {expectedMd5}: the download is corrupt or not the " +
                                           $"official {format.DisplayName} archive ({format.ArchiveUrl}); nothing was installed — retry `resnet data download`");
        var staging = Path.Combine(parentDir, $".extract-{Guid.NewGuid():N}");
        try
        {
            Extract(archivePath, staging);
            var extracted = Path.Combine(staging, format.Folder);
            var problems = format.Verify(extracted);
            if (problems.Count > 0)
                throw new InvalidDataException($"the archive {archivePath} (md5 ok) does not hold a whole {format.Folder}: {problems[0]}");
            File.WriteAllText(Path.Combine(extracted, DataSource.OfficialMarker),
                $"{{\"archive\": \"{format.ArchiveUrl}\", \"md5\": \"{md5}\", \"installed\": \"{DateTime.UtcNow:O}\"}}\n");
            var target = Path.Combine(parentDir, format.Folder);
            var old = target + $".old-{Guid.NewGuid():N}";
            if (Directory.Exists(target)) Directory.Move(target, old);
            Directory.Move(extracted, target);
            if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
            return target;
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>Extract a .tar.gz, refusing anything but plain files and folders inside <paramref name="destination"/>.</summary>
    public static void Extract(string tarGzPath, string destination)
    {
        Directory.CreateDirectory(destination);
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(destination)) + Path.DirectorySeparatorChar;
        using var file = File.OpenRead(tarGzPath);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry() is { } entry)
        {
            var path = Path.GetFullPath(Path.Combine(root, entry.Name));
            if (!path.StartsWith(root, StringComparison.Ordinal))
                throw new InvalidDataException($"{tarGzPath}: entry '{entry.Name}' would extract outside {destination}");
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    Directory.CreateDirectory(path);
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    entry.ExtractToFile(path, overwrite: true);
                    break;
                default:
                    break; // links, devices and metadata entries are not part of a dataset
            }
        }
    }
}
