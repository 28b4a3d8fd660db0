using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using ResNetLab.Cli.Commands;
using ResNetLab.Data;
using ResNetLab.Models;
using ResNetLab.Models.Interop;
using ResNetLab.Models.Pretrained;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace ResNetLab.Tests.Models;

/// <summary>
/// The reference nets (akamaster's fully trained ResNet-20/32/44/56) in data/pretrained: each gives PyTorch's own
/// answers on the same images (Fixtures/make_reference_fixture.py), and nothing is parsed before its sha256 matches.
/// </summary>
public class ReferenceNetsTests
{
    static readonly JsonElement Expected = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("reference_nets_expected.json"))).RootElement;

    /// <summary>data/pretrained as environment/setup.sh leaves it; tests that read it fail loudly without it.</summary>
    static string Folder
    {
        get
        {
            var missing = ReferenceNets.All.Where(n => !ReferenceNets.IsVerified(n, Path.Combine(ReferenceNets.DefaultFolder, n.File))).Select(n => n.File).ToList();
            Assert.True(missing.Count == 0, $"these tests read the reference nets in {ReferenceNets.DefaultFolder} ({string.Join(", ", missing)} missing " +
                                            "or damaged): run bash environment/setup.sh");
            return ReferenceNets.DefaultFolder;
        }
    }

    public static TheoryData<string> Nets => new(ReferenceNets.All.Select(n => n.Model));

    [Theory]
    [MemberData(nameof(Nets))]
    public void Each_reference_net_gives_PyTorchs_own_answers_on_the_same_test_images(string model)
    {
        Torch.Up();
        var expected = Expected.GetProperty("nets").GetProperty(model);
        var images = Expected.GetProperty("images").GetInt32();
        var data = CifarData.Load(TestPaths.Cifar10);
        var records = File.ReadAllBytes(Path.Combine(data.Directory, "test_batch.bin")).AsSpan(0, images * (1 + CifarFormat.ImageBytes));
        Assert.True(Convert.ToHexStringLower(SHA256.HashData(records)) == Expected.GetProperty("imagesSha256").GetString(),
            $"the expected figures were computed by PyTorch on other images (the lossy mirror's first {images}); on this data folder " +
            "regenerate them: python3 tests/ResNetLab.Tests/Fixtures/make_reference_fixture.py");
        var net = ReferenceNets.Get(model);
        using var scope = NewDisposeScope();
        using var m = ReferenceNets.Load(net, Folder);
        var (raw, labels) = data.Slice(0, images);
        using var normalizer = net.InputNormalization.ToDevice(CPU);
        Tensor logits;
        using (no_grad()) logits = m.call(normalizer.Apply(raw));
        var predictions = logits.argmax(1).data<long>().ToArray();
        var pytorch = expected.GetProperty("predictions").EnumerateArray().Select(p => p.GetInt64()).ToArray();
        Assert.Equal(pytorch, predictions);
        Assert.Equal(expected.GetProperty("correct").GetInt32(), (int)logits.argmax(1).eq(labels).sum().item<long>());
        var first = expected.GetProperty("logits").EnumerateArray().ToList();
        for (var i = 0; i < first.Count; i++)
        {
            var row = first[i].EnumerateArray().Select(v => v.GetSingle()).ToArray();
            var ours = logits[i].data<float>().ToArray();
            for (var c = 0; c < row.Length; c++) Assert.True(Math.Abs(row[c] - ours[c]) < 1e-3, $"{model} image {i} class {c}: PyTorch {row[c]}, ours {ours[c]}");
        }
    }

    [Theory]
    [MemberData(nameof(Nets))]
    public void The_registry_says_what_each_file_is(string model)
    {
        var net = ReferenceNets.Get(model);
        var path = Path.Combine(Folder, net.File);
        Assert.Equal(net.Sha256, ReferenceNets.Sha256Of(path));
        Assert.StartsWith($"{model}-{net.Sha256[..8]}", net.File);   // torch.hub's convention
        Assert.Equal(Expected.GetProperty("nets").GetProperty(model).GetProperty("file").GetString(), net.File);
        // the accuracy the registry quotes is the one the file stores (best_prec1)
        var root = (OrderedDictionary<object, object?>)TorchFile.Load(path)!;
        try
        {
            Assert.Equal(net.ClaimedAccuracyPercent, Math.Round(Convert.ToDouble(root["best_prec1"]), 2));
            Assert.Equal(Expected.GetProperty("nets").GetProperty(model).GetProperty("bestPrec1").GetDouble(), Convert.ToDouble(root["best_prec1"]), 4);
        }
        finally
        {
            foreach (var t in ((OrderedDictionary<object, object?>)root["state_dict"]!).Values.OfType<Tensor>()) t.Dispose();
        }
        Assert.Equal(NormalizationKind.ImageNet, net.Normalization);
        Assert.Equal(ModelZoo.Spec(model).Depth, net.Depth);
        Assert.Same(net, ReferenceNets.Find(model, ShortcutOption.A));
        Assert.Null(ReferenceNets.Find(model, ShortcutOption.B));   // the files are option A
    }

    [Fact]
    public void A_flipped_byte_is_refused_by_its_checksum_before_the_file_is_parsed()
    {
        Torch.Up();
        var net = ReferenceNets.Get("resnet20");
        var dir = TestPaths.TempDir("flipped");
        try
        {
            var path = Path.Combine(dir, net.File);
            var bytes = File.ReadAllBytes(Path.Combine(Folder, net.File));
            bytes[bytes.Length - 1000] ^= 0x40;   // inside the last tensor's storage: the file still parses
            File.WriteAllBytes(path, bytes);
            using (var parsed = ModelZoo.Create("resnet20"))
                parsed.LoadPyTorch(path);   // the parser alone takes the damaged weights without a word
            var e = Assert.Throws<InvalidDataException>(() => ReferenceNets.Load(net, dir));
            Assert.StartsWith(path, e.Message);
            Assert.Contains("sha256", e.Message);
            Assert.Contains("environment/setup.sh", e.Message);

            File.Delete(path);
            var missing = Assert.Throws<FileNotFoundException>(() => ReferenceNets.Load(net, dir));
            Assert.StartsWith(path, missing.Message);
            Assert.Contains("environment/setup.sh", missing.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void A_net_without_reference_weights_is_an_error_listing_those_with()
    {
        var e = Assert.Throws<ArgumentException>(() => ReferenceNets.Get("resnet110"));
        Assert.Contains("resnet110 has no reference weights", e.Message);
        Assert.Contains("resnet20, resnet32, resnet44, resnet56", e.Message);
        Assert.Null(ReferenceNets.Find("plain56"));
        Assert.Null(ReferenceNets.Find("resnet20", ShortcutOption.B));
        Assert.Equal("resnet56", ReferenceNets.Find("ResNet56")!.Model);
        Assert.Throws<ArgumentException>(() => ReferenceNets.Get("vgg16"));   // unknown names: the zoo's error
    }

    /// <summary>Serves fixed bytes for every request, or fails like an offline machine (null).</summary>
    sealed class FakeWeb(Func<string, byte[]?> serve) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            serve(request.RequestUri!.ToString()) is { } body
                ? Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(body) })
                : throw new HttpRequestException("Name or service not known");
    }

    [Fact]
    public async Task Setup_installs_verified_files_with_the_licence_online_or_offline_and_refuses_bad_copies()
    {
        var source = Folder;
        var dir = TestPaths.TempDir("pretrained");
        try
        {
            // offline: every download fails, the files come from the offline copy, with the licence
            using (var offline = new HttpClient(new FakeWeb(_ => null)))
            {
                var copied = await ReferenceNetInstaller.InstallAsync(Path.Combine(dir, "a"), source, offline);
                Assert.All(copied, n => Assert.Equal(InstallOutcome.Copied, n.Outcome));
                Assert.Equal(4, copied.Count);
                Assert.Equal(File.ReadAllText(Path.Combine(source, ReferenceNets.LicenceFile)), File.ReadAllText(Path.Combine(dir, "a", ReferenceNets.LicenceFile)));
                Assert.All(await ReferenceNetInstaller.InstallAsync(Path.Combine(dir, "a"), source, offline), n => Assert.Equal(InstallOutcome.Present, n.Outcome));
                using var _ = ReferenceNets.Load("resnet32", Path.Combine(dir, "a"));
            }
            // online: downloaded and verified
            using (var online = new HttpClient(new FakeWeb(url => url == ReferenceNets.LicenceUrl ? "BSD 2-Clause License"u8.ToArray()
                       : File.ReadAllBytes(Path.Combine(source, url[(url.LastIndexOf('/') + 1)..])))))
            {
                var downloaded = await ReferenceNetInstaller.InstallAsync(Path.Combine(dir, "b"), http: online);
                Assert.All(downloaded, n => Assert.Equal(InstallOutcome.Downloaded, n.Outcome));
                Assert.True(File.Exists(Path.Combine(dir, "b", ReferenceNets.LicenceFile)));
            }
            // a damaged offline copy and no internet: one error naming the file; nothing half-installed
            var bad = Path.Combine(dir, "bad");
            Directory.CreateDirectory(bad);
            foreach (var f in Directory.GetFiles(source)) File.Copy(f, Path.Combine(bad, Path.GetFileName(f)));
            var damaged = Path.Combine(bad, ReferenceNets.Get("resnet44").File);
            File.SetAttributes(damaged, FileAttributes.Normal);
            var bytes = File.ReadAllBytes(damaged);
            bytes[^10] ^= 1;
            File.WriteAllBytes(damaged, bytes);
            using (var offline = new HttpClient(new FakeWeb(_ => null)))
            {
                var e = await Assert.ThrowsAsync<InvalidOperationException>(() => ReferenceNetInstaller.InstallAsync(Path.Combine(dir, "c"), bad, offline));
                Assert.Contains(Path.Combine(dir, "c", ReferenceNets.Get("resnet44").File), e.Message);
                Assert.Contains("sha256", e.Message);
                Assert.DoesNotContain("resnet20", e.Message);
                Assert.False(File.Exists(Path.Combine(dir, "c", ReferenceNets.Get("resnet44").File)));
                Assert.Empty(Directory.GetFiles(Path.Combine(dir, "c"), "*.tmp"));
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    static (int Code, string Output) Resnet(params string[] args)
    {
        var app = new CommandApp();
        app.Configure(c => { c.PropagateExceptions(); c.AddCommand<EvalCommand>("eval"); c.AddCommand<ModelsCommand>("models"); });
        var previous = Console.Out;
        var output = new StringWriter();
        Console.SetOut(output);
        try { return (app.Run(args), output.ToString()); }
        finally { Console.SetOut(previous); }
    }

    [Fact]
    public void Eval_pretrained_refuses_a_net_without_weights_and_flags_that_would_change_the_net()
    {
        var none = Assert.Throws<ArgumentException>(() => Resnet("eval", "--pretrained", "resnet110"));
        Assert.Contains("--pretrained", none.Message);
        Assert.Contains("resnet20, resnet32, resnet44, resnet56", none.Message);
        var extra = Assert.Throws<ArgumentException>(() => Resnet("eval", "--pretrained", "resnet20", "--normalize", "paper"));
        Assert.Contains("own normalisation (imagenet)", extra.Message);
        Assert.Throws<ArgumentException>(() => Resnet("eval", "--pretrained", "resnet20", "--pytorch", "x.pt"));
    }

    [Fact]
    public void Models_marks_the_nets_with_reference_weights()
    {
        var (code, output) = Resnet("models", "*56", "--json");
        Assert.Equal(0, code);
        var rows = JsonDocument.Parse(output).RootElement.EnumerateArray().ToDictionary(r => r.GetProperty("Name").GetString()!);
        Assert.Equal(ReferenceNets.Get("resnet56").File, rows["resnet56"].GetProperty("ReferenceWeights").GetString());
        Assert.Equal(JsonValueKind.Null, rows["plain56"].GetProperty("ReferenceWeights").ValueKind);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void Eval_pretrained_prints_PyTorchs_accuracy_on_the_whole_test_set()
    {
        var whole = Expected.GetProperty("nets").GetProperty("resnet20").GetProperty("wholeTestSet");
        Assert.True(DataSource.Detect(TestPaths.Cifar10) == DataSourceKind.Mirror, "the whole-set figure was computed on the lossy mirror");
        var (code, output) = Resnet("eval", "--pretrained", "resnet20", "--json", "--threads", "2");
        Assert.Equal(0, code);
        var report = JsonDocument.Parse(output).RootElement;
        Assert.Equal(whole.GetProperty("images").GetInt32(), report.GetProperty("images").GetInt32());
        Assert.Equal(whole.GetProperty("correct").GetInt32() / 10_000.0, report.GetProperty("accuracy").GetDouble(), 6);
        Assert.Equal(91.78, report.GetProperty("claimed_accuracy_percent").GetDouble());
    }
}
