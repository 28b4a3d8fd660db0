using System.Security.Cryptography;
using ResNetLab.Data;
using ResNetLab.Models.Interop;
using ResNetLab.Runtime;

namespace ResNetLab.Models.Pretrained;

/// <summary>
/// A published, fully trained CIFAR-10 net of the zoo (timm's pretrained configs: data about weights, kept apart from
/// the architecture). Everything needed to fetch, verify, load and honestly label it.
/// </summary>
/// <param name="Model">The zoo's name of the architecture (option A shortcuts, 10 classes).</param>
/// <param name="File">File name in the pretrained folder (torch.hub style: the name carries the sha256's first 8 hex digits).</param>
/// <param name="Sha256">sha256 of the file, checked before a byte of it is parsed.</param>
/// <param name="Url">Where the file is online.</param>
/// <param name="Origin">Who published it, and from which commit.</param>
/// <param name="Licence">Its licence; the notice travels with the file (LICENSE beside it).</param>
/// <param name="Normalization">What inputs it was trained with, hence what evaluation must use.</param>
/// <param name="Recipe">How it was trained, in one line.</param>
/// <param name="ClaimedAccuracyPercent">The test accuracy the file itself stores (<c>best_prec1</c>, official CIFAR-10 test set).</param>
/// <param name="ClaimedTestErrorPercent">The test error its publisher's README reports.</param>
public sealed record ReferenceNet(string Model, string File, string Sha256, string Url, string Origin, string Licence,
                                  NormalizationKind Normalization, string Recipe, double ClaimedAccuracyPercent, double ClaimedTestErrorPercent)
{
    /// <summary>Depth of the architecture (from the zoo's spec, not the name).</summary>
    public int Depth => ModelZoo.Spec(Model).Depth;

    /// <summary>The normalisation it was trained with, as applied to inputs.</summary>
    public Normalization InputNormalization => Data.Normalization.For(Normalization);

    /// <summary>Short legend label saying whose net it is, e.g. "resnet56 · fully trained (akamaster)".</summary>
    public string Label => $"{Model} · fully trained ({ReferenceNets.Publisher})";
}

/// <summary>
/// The registry of reference nets: akamaster/pytorch_resnet_cifar10's ResNet-20/32/44/56 (BSD 2-Clause), which
/// environment/setup.sh puts in data/pretrained/ (downloaded and verified online, copied from ../shared offline).
/// A missing or damaged file is one error naming it and the fix; nothing is parsed before its sha256 matches.
/// </summary>
public static class ReferenceNets
{
    /// <summary>Who trained and published the nets.</summary>
    public const string Publisher = "akamaster";
    /// <summary>The repository and commit the files come from.</summary>
    public const string Origin = "github.com/akamaster/pytorch_resnet_cifar10 @ d5489e8995e81e91ce6b1d69dcc98ad579b0b153";
    /// <summary>The licence's name; its text is <see cref="LicenceFile"/> beside the files.</summary>
    public const string Licence = "BSD 2-Clause (Copyright (c) 2018, Yerlan Idelbayev)";
    /// <summary>The licence text online, at the same commit.</summary>
    public const string LicenceUrl = "https://raw.githubusercontent.com/akamaster/pytorch_resnet_cifar10/d5489e8995e81e91ce6b1d69dcc98ad579b0b153/LICENSE";
    /// <summary>The licence notice kept with the files (BSD 2-Clause: redistribution keeps it).</summary>
    public const string LicenceFile = "LICENSE";
    /// <summary>The folder under data/ that holds them.</summary>
    public const string FolderName = "pretrained";

    const string Url = "https://github.com/akamaster/pytorch_resnet_cifar10/raw/master/pretrained_models/";
    // Their README and trainer.py: the paper's §4.2 schedule on all 50k training images, ImageNet mean/std inputs.
    const string Recipe = "§4.2's schedule (batch 128, lr 0.1 ÷10 at epochs 100 and 150 of 200, momentum 0.9, weight decay 1e-4) " +
                          "on all 50k training images, ImageNet mean/std inputs; the best epoch was chosen on the test set";

    static ReferenceNet Net(string model, string sha256, double bestPrec1, double readmeError) =>
        new(model, $"{model}-{sha256[..8]}.th", sha256, Url + $"{model}-{sha256[..8]}.th", Origin, Licence, NormalizationKind.ImageNet, Recipe, bestPrec1, readmeError);

    /// <summary>The reference nets, shallow to deep. best_prec1 as stored in each file; test errors from their README.</summary>
    public static IReadOnlyList<ReferenceNet> All { get; } =
    [
        Net("resnet20", "12fca82f0bebc4135bf1f32f6e3710e61d5108578464b84fd6d7f5c1b04036c8", 91.78, 8.27),
        Net("resnet32", "d509ac1820d7f25398913559d7e81a13229b1e7adc5648e3bfa5e22dc137f850", 92.78, 7.37),
        Net("resnet44", "014dd6541728a1c700b1642ab640e211dc6eb8ed507d70697458dc8f8a0ae2e4", 93.14, 6.90),
        Net("resnet56", "4bfd97631478d6b638d2764fd2baff3edb1d7d82252d54439343b6596b9b5367", 93.62, 6.61),
    ];

    /// <summary>The reference net of <paramref name="model"/> (with option A shortcuts, as all of them have), or null.</summary>
    public static ReferenceNet? Find(string model, ShortcutOption? shortcut = null) =>
        shortcut is not (null or ShortcutOption.A) ? null
        : ModelZoo.TrySpec(model) is not { } spec ? null
        : All.FirstOrDefault(n => n.Model == spec.Name);

    /// <summary>The reference net of <paramref name="model"/>; a model without one is an error listing those with.</summary>
    public static ReferenceNet Get(string model)
    {
        var spec = ModelZoo.Spec(model);   // an unknown name: the zoo's error
        return Find(spec.Name) ?? throw new ArgumentException(
            $"{spec.Name} has no reference weights; the nets with fully trained reference weights are: {string.Join(", ", All.Select(n => n.Model))}");
    }

    /// <summary>data/pretrained in the checkout (else in the working folder).</summary>
    public static string DefaultFolder => Path.Combine(RepoPaths.TryRoot() ?? Directory.GetCurrentDirectory(), "data", FolderName);

    /// <summary>The fix named by every error about a missing or damaged reference file.</summary>
    public const string Fix = "run `bash environment/setup.sh` (or `environment/resnet data pretrained`), which downloads and verifies the " +
                              "reference nets, or copies them offline from ../shared/pretrained/akamaster";

    /// <summary>Lower-case hex sha256 of a file.</summary>
    public static string Sha256Of(string path)
    {
        using var stream = System.IO.File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Whether <paramref name="path"/> is the published file (exists and its sha256 matches).</summary>
    public static bool IsVerified(ReferenceNet net, string path) =>
        System.IO.File.Exists(path) && Sha256Of(path) == net.Sha256;

    /// <summary>
    /// The path of <paramref name="net"/>'s file in <paramref name="folder"/> (default data/pretrained) after checking its
    /// sha256; missing or mismatching, an error naming the file and the fix.
    /// </summary>
    public static string Verified(ReferenceNet net, string? folder = null)
    {
        var path = Path.Combine(folder ?? DefaultFolder, net.File);
        if (!System.IO.File.Exists(path))
            throw new FileNotFoundException($"{path}: the reference weights of {net.Model} are missing; {Fix}", path);
        var sha = Sha256Of(path);
        if (sha != net.Sha256)
            throw InputFile.Invalid(path, $"sha256 {sha}, expected {net.Sha256}: damaged or not the published file, so it was not read; " +
                                          $"delete it and {Fix}");
        return path;
    }

    /// <summary>
    /// The fully trained network, in eval mode on the CPU: the file is verified by its sha256, then read with the
    /// project's own torch.save reader. Its inputs need <see cref="ReferenceNet.InputNormalization"/>.
    /// </summary>
    public static ResNetModel Load(ReferenceNet net, string? folder = null)
    {
        var path = Verified(net, folder);
        var model = ModelZoo.Create(net.Model, ShortcutOption.A, numClasses: 10);
        try
        {
            model.LoadPyTorch(path);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        return model;
    }

    /// <summary>The fully trained <paramref name="model"/> (e.g. "resnet56"); see <see cref="Load(ReferenceNet, string?)"/>.</summary>
    public static ResNetModel Load(string model, string? folder = null) => Load(Get(model), folder);
}
