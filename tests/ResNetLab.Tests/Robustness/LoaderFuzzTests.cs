using System.IO.Compression;
using ResNetLab.Data;
using ResNetLab.Models;
using ResNetLab.Models.Interop;
using ResNetLab.Runtime;
using ResNetLab.Tests.Data;
using ResNetLab.Tests.Training;
using ResNetLab.Training;
using static TorchSharp.torch;

namespace ResNetLab.Tests.Robustness;

/// <summary>
/// Every reader of outside bytes, fed seeded mutations (byte flips, overwrites, truncations, inserted bytes) of real
/// files: each must load or end in the project's one error (<see cref="InputFile"/>: an InvalidDataException naming
/// the file), never another exception, and a failed load must leave the model as it was.
/// </summary>
[Collection(GlobalRngCollection.Name)]
public class LoaderFuzzTests : IClassFixture<LoaderFuzzTests.RealFiles>
{
    const int Mutations = 300;
    readonly RealFiles files;

    public LoaderFuzzTests(RealFiles files) => this.files = files;

    /// <summary>A real run folder (run.json, metrics.csv, checkpoint.bin) written by the trainer on ResNet-8, built once.</summary>
    public sealed class RealFiles : IDisposable
    {
        public RealFiles()
        {
            TorchRuntime.Initialize(DeviceChoice.Cpu);
            Root = TestPaths.TempDir("fuzz");
            var budget = new Budget("fuzz", Iterations: 4, EvalEvery: 2, CheckpointEvery: 4, TrainImages: 256, EvalImages: 128, "tests");
            var run = Experiment.RunOrLoad(new RunConfig { Model = "resnet8", Budget = budget, Seed = 3 },
                new ExperimentOptions { RunsDir = Root, Device = DeviceChoice.Cpu, EvalBatchSize = 64, ModelFactory = _ => ModelZoo.Create("resnet8") });
            RunFolder = run.Folder;
        }

        public string Root { get; }
        public string RunFolder { get; }
        public void Dispose() => Directory.Delete(Root, recursive: true);
    }

    /// <summary>Seeded damage to a file's bytes; <paramref name="head"/> biases half the edits into the first bytes (headers, pickles).</summary>
    static byte[] Mutate(byte[] original, Random rng, int head = 2048)
    {
        var bytes = original.ToList();
        int Position() => rng.Next(2) == 0 ? rng.Next(Math.Min(head, bytes.Count)) : rng.Next(bytes.Count);
        switch (rng.Next(5))
        {
            case 0:  // flip bits in 1–4 bytes
                for (var i = rng.Next(1, 5); i > 0; i--) bytes[Position()] ^= (byte)rng.Next(1, 256);
                break;
            case 1:  // overwrite with boundary values: 0, 0xff, 0x7f, 0x80
                for (var i = rng.Next(1, 4); i > 0; i--) bytes[Position()] = new byte[] { 0, 0xff, 0x7f, 0x80 }[rng.Next(4)];
                break;
            case 2:  // truncate
                bytes = bytes.Take(rng.Next(2) == 0 ? Position() : rng.Next(bytes.Count)).ToList();
                break;
            case 3:  // insert 1–8 random bytes
                var at = Position();
                var extra = new byte[rng.Next(1, 9)];
                rng.NextBytes(extra);
                bytes.InsertRange(at, extra);
                break;
            default:  // delete 1–8 bytes
                var from = Position();
                bytes.RemoveRange(from, Math.Min(rng.Next(1, 9), bytes.Count - from));
                break;
        }
        if (bytes.SequenceEqual(original)) bytes[Position()] ^= 0x01;   // an overwrite with the same value: damage it still
        return [.. bytes];
    }

    /// <summary>Run <paramref name="load"/> on <see cref="Mutations"/> mutations of <paramref name="original"/>; returns (loaded, refused).</summary>
    static (int Loaded, int Refused) Fuzz(string name, byte[] original, string path, Action<string> load, int seed, int head = 2048,
                                          Func<byte[], byte[]>? repack = null)
    {
        var rng = new Random(seed);
        var (loaded, refused) = (0, 0);
        for (var i = 0; i < Mutations; i++)
        {
            var bytes = Mutate(original, rng, head);
            File.WriteAllBytes(path, repack is null ? bytes : repack(bytes));
            try
            {
                load(path);
                loaded++;
            }
            catch (InvalidDataException e) when (InputFile.PathOf(e) == path && e.Message.StartsWith(path))
            {
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"{name}, mutation {i} (seed {seed}): {e.GetType().Name} instead of the project's error naming the file: {e}");
            }
        }
        return (loaded, refused);
    }

    /// <summary>CRC-32 of every tensor's bytes in order: equal fingerprints mean nothing in the model changed.</summary>
    static uint Fingerprint(IEnumerable<Tensor> tensors)
    {
        uint crc = 0;
        foreach (var t in tensors) crc = Crc32.Compute(t.bytes, crc);
        return crc;
    }

    /// <summary>Load into the model; on failure check that nothing in it changed, then rethrow.</summary>
    static void AllOrNothing(nn.Module model, Action load, string what)
    {
        var before = Fingerprint(model.state_dict().Values);
        try
        {
            load();
        }
        catch
        {
            Assert.True(before == Fingerprint(model.state_dict().Values), $"{what}: the model changed although the load failed");
            throw;
        }
    }

    string Temp(string name) => Path.Combine(files.Root, name);

    [Fact]
    public void Legacy_torch_save_files_load_or_fail_cleanly()
    {
        var original = File.ReadAllBytes(TestPaths.Fixture("resnet8_b_legacy.pt"));
        using var model = ModelZoo.Create("resnet8", ShortcutOption.B);
        var (loaded, refused) = Fuzz("legacy .pt", original, Temp("legacy.pt"),
            p => AllOrNothing(model, () => model.LoadPyTorch(p), "legacy .pt"), seed: 1);
        Assert.True(refused > Mutations / 2, $"only {refused} of {Mutations} damaged legacy files were refused");
        Assert.Equal(Mutations, loaded + refused);
    }

    [Fact]
    public void Zip_torch_save_files_load_or_fail_cleanly_and_damaged_entries_fail_their_CRC()
    {
        var original = File.ReadAllBytes(TestPaths.Fixture("resnet8_a_checkpoint.pt"));
        using var model = ModelZoo.Create("resnet8", ShortcutOption.A);
        var (loaded, refused) = Fuzz("zip .pt", original, Temp("zip.pt"),
            p => AllOrNothing(model, () => model.LoadPyTorch(p), "zip .pt"), seed: 2, head: original.Length);
        // A change anywhere in an entry's bytes is caught by its CRC-32; only bytes zip ignores (comments, padding) may load.
        Assert.True(refused >= Mutations * 9 / 10, $"only {refused} of {Mutations} damaged zip files were refused");

        // The same with every entry's CRC made to match its damaged bytes: now the pickle reader itself must hold.
        var entries = ReadEntries(original);
        var pkl = entries.Keys.Single(k => k.EndsWith("/data.pkl"));
        Fuzz("zip .pt with a damaged data.pkl and a matching CRC", entries[pkl], Temp("zip-pkl.pt"),
            p => AllOrNothing(model, () => model.LoadPyTorch(p), "zip data.pkl"), seed: 3, head: entries[pkl].Length,
            repack: bytes => Zip(entries, pkl, bytes));
    }

    static Dictionary<string, byte[]> ReadEntries(byte[] zip)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        return archive.Entries.ToDictionary(e => e.FullName, e =>
        {
            using var s = e.Open();
            var m = new MemoryStream();
            s.CopyTo(m);
            return m.ToArray();
        });
    }

    static byte[] Zip(Dictionary<string, byte[]> entries, string replaced, byte[] bytes)
    {
        var m = new MemoryStream();
        using (var archive = new ZipArchive(m, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, content) in entries)
            {
                using var s = archive.CreateEntry(name, CompressionLevel.NoCompression).Open();
                s.Write(name == replaced ? bytes : content);
            }
        return m.ToArray();
    }

    [Fact]
    public void A_flipped_byte_inside_a_stored_tensor_is_caught_by_the_CRC_and_names_the_file()
    {
        var original = File.ReadAllBytes(TestPaths.Fixture("resnet8_a_checkpoint.pt"));
        var entries = ReadEntries(original);
        var data = entries.Keys.First(k => k.Contains("/data/") && entries[k].Length > 1000);
        var start = original.AsSpan().IndexOf(entries[data].AsSpan(0, 64));
        Assert.True(start > 0);
        var damaged = original.ToArray();
        damaged[start + 500] ^= 0x40;
        var path = Temp("flipped.pt");
        File.WriteAllBytes(path, damaged);
        using var model = ModelZoo.Create("resnet8", ShortcutOption.A);
        var e = Assert.Throws<InvalidDataException>(() => AllOrNothing(model, () => model.LoadPyTorch(path), "flip"));
        Assert.StartsWith(path, e.Message);
        Assert.Contains("CRC-32", e.Message);

        File.WriteAllBytes(path, original[..(original.Length / 2)]);
        var truncated = Assert.Throws<InvalidDataException>(() => model.LoadPyTorch(path));
        Assert.StartsWith(path, truncated.Message);
    }

    [Fact]
    public void Checkpoints_load_or_fail_cleanly_and_leave_model_and_momentum_unchanged()
    {
        var path = Path.Combine(files.RunFolder, Runs.CheckpointFile);
        var original = File.ReadAllBytes(path);
        using var model = ModelZoo.Create("resnet8");
        using var optimizer = new MomentumSgd(model.named_parameters().Select(p => (p.name, p.parameter)), 0.9, 1e-4);
        Checkpoint.Load(path, model, optimizer);   // the undamaged file loads, with momentum buffers
        Assert.NotEmpty(optimizer.MomentumBuffers);

        void Load(string p) => AllOrNothing(model, () =>
        {
            var momentum = Fingerprint(optimizer.MomentumBuffers.Values);
            try
            {
                Checkpoint.Load(p, model, optimizer);
            }
            catch
            {
                Assert.True(momentum == Fingerprint(optimizer.MomentumBuffers.Values), "the momentum buffers changed although the load failed");
                throw;
            }
        }, "checkpoint");

        var (_, refused) = Fuzz("checkpoint", original, Temp("checkpoint.bin"), Load, seed: 4, head: 4096);
        Assert.Equal(Mutations, refused);   // the CRC-32 trailer refuses every change
        Fuzz("checkpoint state only", original, Temp("checkpoint-state.bin"), p => Checkpoint.ReadState(p), seed: 5, head: 4096);

        // Format 1 (no CRC trailer): the parser itself must hold.
        var v1 = original[..^4];
        var magic = System.Text.Encoding.UTF8.GetBytes("RESNETLAB-CKPT-2");
        var at = v1.AsSpan().IndexOf(magic);
        Assert.Equal(1, at);
        v1[at + magic.Length - 1] = (byte)'1';
        File.WriteAllBytes(Temp("v1.bin"), v1);
        Checkpoint.Load(Temp("v1.bin"), model, optimizer);
        Fuzz("checkpoint format 1", v1, Temp("checkpoint-v1.bin"), Load, seed: 6, head: 4096);
    }

    [Fact]
    public void Run_records_and_metrics_load_or_fail_cleanly()
    {
        var record = File.ReadAllBytes(Path.Combine(files.RunFolder, Runs.RecordFile));
        var metrics = File.ReadAllBytes(Path.Combine(files.RunFolder, Runs.MetricsFile));
        var folder = Path.Combine(files.Root, "damaged-run");
        Directory.CreateDirectory(folder);
        Fuzz("run.json", record, Path.Combine(folder, Runs.RecordFile), _ => Runs.Load(folder), seed: 7, head: record.Length);
        var (_, refused) = Fuzz("metrics.csv", metrics, Path.Combine(folder, Runs.MetricsFile), _ => Runs.ReadMetrics(folder), seed: 8, head: metrics.Length);
        Assert.True(refused > 0);
    }

    [Fact]
    public void CIFAR_batch_files_load_or_fail_cleanly()
    {
        var dir = Path.Combine(files.Root, "cifar");
        SyntheticCifar.Write(dir, SyntheticCifar.Small10);
        var test = Path.Combine(dir, SyntheticCifar.Small10.TestFile);
        var original = File.ReadAllBytes(test);
        var (loaded, refused) = Fuzz("CIFAR batch", original, test, _ => CifarData.Read(dir, SyntheticCifar.Small10), seed: 9, head: original.Length);
        Assert.True(loaded > 0 && refused > 0, $"{loaded} loaded, {refused} refused");
    }
}
