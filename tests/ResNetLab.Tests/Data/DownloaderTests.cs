using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using ResNetLab.Data;

namespace ResNetLab.Tests.Data;

public class DownloaderTests
{
    /// <summary>A .tar.gz holding cifar-10-batches-bin/ (as the official archive does), plus optional extra entries.</summary>
    static string BuildArchive(string workDir, CifarFormat format, Action<TarWriter>? extra = null)
    {
        var source = Path.Combine(workDir, "src", format.Folder);
        SyntheticCifar.Write(source, format);
        File.WriteAllText(Path.Combine(source, "batches.meta.txt"), "airplane\nautomobile\n");
        var archive = Path.Combine(workDir, "cifar-10-binary.tar.gz");
        using (var file = File.Create(archive))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Ustar))
        {
            tar.WriteEntry(new UstarTarEntry(TarEntryType.Directory, format.Folder + "/"));
            foreach (var path in Directory.GetFiles(source).Order())
                tar.WriteEntry(path, $"{format.Folder}/{Path.GetFileName(path)}");
            extra?.Invoke(tar);
        }
        return archive;
    }

    [Fact]
    public void A_verified_archive_is_extracted_marked_official_and_moved_into_place()
    {
        var work = TestPaths.TempDir("download");
        try
        {
            var format = SyntheticCifar.Small10;
            var archive = BuildArchive(work, format);
            var md5 = CifarDownloader.Md5Of(archive);
            var parent = Path.Combine(work, "data");
            Directory.CreateDirectory(Path.Combine(parent, format.Folder));
            File.WriteAllText(Path.Combine(parent, format.Folder, "stale.bin"), "old copy");   // replaced, not merged

            var target = CifarDownloader.InstallArchive(archive, format, parent, md5);
            Assert.Equal(Path.Combine(parent, format.Folder), target);
            Assert.Empty(format.Verify(target));
            Assert.False(File.Exists(Path.Combine(target, "stale.bin")));
            Assert.Equal(DataSourceKind.Official, DataSource.Detect(target, format));
            Assert.Equal(DataSourceKind.Official, CifarData.Read(target, format).Source);
            Assert.Equal([format.Folder], Directory.GetDirectories(parent).Select(Path.GetFileName));   // no staging left
        }
        finally { Directory.Delete(work, true); }
    }

    [Fact]
    public void A_wrong_md5_installs_nothing_and_says_so()
    {
        var work = TestPaths.TempDir("download-md5");
        try
        {
            var format = SyntheticCifar.Small10;
            var archive = BuildArchive(work, format);
            var parent = Path.Combine(work, "data");
            Directory.CreateDirectory(parent);
            var e = Assert.Throws<InvalidDataException>(() => CifarDownloader.InstallArchive(archive, format, parent));
            Assert.Contains($"expected {CifarFormat.Cifar10.ArchiveMd5}", e.Message);
            Assert.Empty(Directory.GetFileSystemEntries(parent));
        }
        finally { Directory.Delete(work, true); }
    }

    [Fact]
    public void Entries_escaping_the_destination_are_refused()
    {
        var work = TestPaths.TempDir("download-escape");
        try
        {
            var archive = BuildArchive(work, SyntheticCifar.Small10, tar =>
            {
                var entry = new UstarTarEntry(TarEntryType.RegularFile, "../escaped.txt") { DataStream = new MemoryStream([1, 2, 3]) };
                tar.WriteEntry(entry);
            });
            var e = Assert.Throws<InvalidDataException>(() => CifarDownloader.Extract(archive, Path.Combine(work, "out")));
            Assert.Contains("outside", e.Message);
            Assert.False(File.Exists(Path.Combine(work, "escaped.txt")));
        }
        finally { Directory.Delete(work, true); }
    }

    sealed class Serve(Func<HttpRequestMessage, HttpResponseMessage> respond) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(respond(request));
    }

    [Fact]
    public async Task Download_streams_to_a_temporary_file_then_installs_and_reports_http_errors()
    {
        var work = TestPaths.TempDir("download-http");
        try
        {
            var archiveBytes = File.ReadAllBytes(BuildArchive(work, SyntheticCifar.Small10));
            var format = SyntheticCifar.Small10 with
            {
                ArchiveUrl = "http://cifar.invalid/cifar-10-binary.tar.gz",
                ArchiveMd5 = Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(archiveBytes)),
            };
            var parent = Path.Combine(work, "data");
            var reported = new List<long>();
            using (var http = new HttpClient(new Serve(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(archiveBytes) })))
            {
                var target = await CifarDownloader.DownloadAsync(format, parent, http, new SyncProgress<(long Done, long? Total)>(p => reported.Add(p.Done)));
                Assert.Equal(DataSourceKind.Official, DataSource.Detect(target, format));
            }
            Assert.Equal(archiveBytes.Length, reported.Last());
            Assert.DoesNotContain(Directory.GetFiles(parent), f => f.EndsWith(".part", StringComparison.Ordinal));

            using var failing = new HttpClient(new Serve(_ => new HttpResponseMessage(HttpStatusCode.NotFound)));
            var e = await Assert.ThrowsAsync<InvalidOperationException>(() => CifarDownloader.DownloadAsync(format, Path.Combine(work, "other"), failing));
            Assert.Contains("HTTP 404", e.Message);
        }
        finally { Directory.Delete(work, true); }
    }
}

