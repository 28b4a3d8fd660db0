using System.Text;
using ResNetLab.Runtime;

namespace ResNetLab.Models.Pretrained;

/// <summary>How one reference file came to be in place.</summary>
public enum InstallOutcome
{
    /// <summary>Already there, sha256 verified.</summary>
    Present,

    /// <summary>Downloaded from its address and verified.</summary>
    Downloaded,

    /// <summary>Copied from the offline copy and verified.</summary>
    Copied,
}

/// <summary>One reference file installed, and from where.</summary>
public sealed record InstalledNet(ReferenceNet Net, string Path, InstallOutcome Outcome);

/// <summary>
/// Puts the reference nets in a folder (data/pretrained): each file that is not already there and verified is
/// downloaded from its address, else (offline) copied from an offline copy such as ../shared/pretrained/akamaster;
/// either way it lands under a temporary name and is renamed into place only after its sha256 matches (AtomicFile). The licence
/// notice (LICENSE) goes beside the files, and a README.md says where they are from.
/// </summary>
public static class ReferenceNetInstaller
{
    /// <summary>Install every reference net into <paramref name="folder"/>; one error lists each file that could not be had.</summary>
    public static async Task<IReadOnlyList<InstalledNet>> InstallAsync(string folder, string? offlineCopy = null, HttpClient? http = null,
                                                                       CancellationToken cancellation = default)
    {
        Directory.CreateDirectory(folder);
        var ownClient = http is null;
        http ??= new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
        try
        {
            var installed = new List<InstalledNet>();
            var problems = new List<string>();
            foreach (var net in ReferenceNets.All)
            {
                var path = Path.Combine(folder, net.File);
                if (ReferenceNets.IsVerified(net, path)) { installed.Add(new(net, path, InstallOutcome.Present)); continue; }
                var why = new List<string>();
                if (await TryDownload(http, net.Url, path, net, why, cancellation)) { installed.Add(new(net, path, InstallOutcome.Downloaded)); continue; }
                if (offlineCopy is not null && TryCopy(Path.Combine(offlineCopy, net.File), path, net, why)) { installed.Add(new(net, path, InstallOutcome.Copied)); continue; }
                problems.Add($"{path}: {string.Join("; ", why)}");
            }
            if (installed.Count > 0) await InstallLicence(folder, offlineCopy, http, problems, cancellation);
            if (problems.Count > 0)
                throw new InvalidOperationException("reference nets not installed:\n  " + string.Join("\n  ", problems) +
                    (offlineCopy is null ? "\nWithout internet, give the offline copy (../shared/pretrained/akamaster)." : ""));
            AtomicFile.WriteText(Path.Combine(folder, "README.md"), Readme());
            return installed;
        }
        finally
        {
            if (ownClient) http.Dispose();
        }
    }

    static async Task<bool> TryDownload(HttpClient http, string url, string path, ReferenceNet? net, List<string> why, CancellationToken cancellation)
    {
        byte[] bytes;
        try
        {
            using var response = await http.GetAsync(url, cancellation);
            if (!response.IsSuccessStatusCode) { why.Add($"download {url}: HTTP {(int)response.StatusCode}"); return false; }
            bytes = await response.Content.ReadAsByteArrayAsync(cancellation);   // a few MB at most
        }
        catch (HttpRequestException e)
        {
            why.Add($"cannot download {url} ({e.Message})");
            return false;
        }
        catch (TaskCanceledException) when (!cancellation.IsCancellationRequested)
        {
            why.Add($"download {url} timed out");
            return false;
        }
        return Place(path, net, $"the download from {url}", temp => File.WriteAllBytes(temp, bytes), why);
    }

    static bool TryCopy(string source, string path, ReferenceNet? net, List<string> why)
    {
        if (!File.Exists(source)) { why.Add($"no offline copy {source}"); return false; }
        return Place(path, net, $"the offline copy {source}", temp => File.Copy(source, temp, overwrite: true), why);
    }

    /// <summary>
    /// Write a fetched file under a temporary name and rename it into place only if it is the published one (a null
    /// net, the licence, is taken as it is); a mismatch leaves nothing behind and says why.
    /// </summary>
    static bool Place(string path, ReferenceNet? net, string what, Action<string> fetch, List<string> why)
    {
        try
        {
            AtomicFile.Replace(path, temp =>
            {
                fetch(temp);
                if (net is not null && ReferenceNets.Sha256Of(temp) is var sha && sha != net.Sha256)
                    throw new InvalidDataException($"{what} has sha256 {sha}, expected {net.Sha256}");
            }, net is null ? "the licence notice" : $"the reference weights of {net.Model}");
            return true;
        }
        catch (InvalidDataException e)
        {
            why.Add(e.Message);
            return false;
        }
    }

    static async Task InstallLicence(string folder, string? offlineCopy, HttpClient http, List<string> problems, CancellationToken cancellation)
    {
        var path = Path.Combine(folder, ReferenceNets.LicenceFile);
        var why = new List<string>();
        if (offlineCopy is not null && TryCopy(Path.Combine(offlineCopy, ReferenceNets.LicenceFile), path, null, why)) return;
        if (File.Exists(path)) return;
        if (!await TryDownload(http, ReferenceNets.LicenceUrl, path, null, why, cancellation))
            problems.Add($"{path} (the licence notice, {ReferenceNets.Licence}, which must travel with the files): {string.Join("; ", why)}");
    }

    /// <summary>The folder's README: origin, licence, normalisation, recipe and each file's sha256, from the registry.</summary>
    public static string Readme()
    {
        var sb = new StringBuilder("# Reference nets (fully trained CIFAR-10 ResNets)\n\n");
        sb.Append($"Installed by `environment/setup.sh` from {ReferenceNets.Origin} (`pretrained_models/`), verified by sha256. ");
        sb.Append($"Licence: {ReferenceNets.Licence} — see `{ReferenceNets.LicenceFile}` here; redistribution must keep it.\n\n");
        sb.Append($"Inputs: {ReferenceNets.All[0].Normalization} mean/std. Recipe: {ReferenceNets.All[0].Recipe}.\n\n");
        sb.Append("| file | net | sha256 | best_prec1 stored in the file | test error in their README |\n|---|---|---|---|---|\n");
        foreach (var n in ReferenceNets.All)
            sb.Append($"| {n.File} | {n.Model} | {n.Sha256} | {n.ClaimedAccuracyPercent:0.00} | {n.ClaimedTestErrorPercent:0.00} % |\n");
        return sb.ToString();
    }
}
