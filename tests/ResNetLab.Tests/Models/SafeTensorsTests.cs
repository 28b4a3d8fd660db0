using System.Buffers.Binary;
using System.Text;
using ResNetLab.Models;
using ResNetLab.Models.Interop;
using static TorchSharp.torch;

namespace ResNetLab.Tests.Models;

/// <summary>
/// safetensors in and out: a file written by Python from real PyTorch tensors (Fixtures/make_safetensors_fixture.py)
/// gives PyTorch's logits; our files round-trip exactly; malformed files fail with one error naming the file and
/// change nothing.
/// </summary>
public class SafeTensorsTests
{
    public SafeTensorsTests() => Torch.Up();

    static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    static Tensor Io(string key) => (Tensor)((OrderedDictionary<object, object?>)TorchFile.Load(Fixture("resnet8_io.pt"))!)[key]!;

    [Fact]
    public void A_file_written_by_python_gives_pytorchs_logits()
    {
        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create("resnet8", ShortcutOption.B);
        model.LoadPyTorch(Fixture("resnet8_b.safetensors"));
        model.eval();
        using var _ = no_grad();
        var diff = (model.call(Io("input")) - Io("logits_b")).abs().max().item<float>();
        Assert.True(diff <= 1e-5, $"max |Δlogit| = {diff}");
        Assert.Equal("pt", SafeTensors.ReadHeader(Fixture("resnet8_b.safetensors")).Metadata["format"]);
    }

    [Fact]
    public void Our_files_round_trip_every_tensor_and_keep_dtypes_and_metadata()
    {
        using var scope = NewDisposeScope();
        using var source = ModelZoo.Create("resnet8", ShortcutOption.B);
        source.LoadPyTorch(Fixture("resnet8_b_legacy.pt"));
        var path = Path.Combine(Path.GetTempPath(), $"resnet8-{Guid.NewGuid():N}.safetensors");
        try
        {
            source.SaveSafeTensors(path, new Dictionary<string, string> { ["model"] = "resnet8" });
            var (entries, metadata, dataStart) = SafeTensors.ReadHeader(path);
            Assert.Equal("resnet8", metadata["model"]);
            Assert.Equal(0, (dataStart - 8) % 8);                                     // header padded to 8 bytes
            Assert.Equal(ScalarType.Int64, entries.Single(e => e.Name == "bn1.num_batches_tracked").DType);

            using var copy = ModelZoo.Create("resnet8", ShortcutOption.B);
            copy.LoadPyTorch(path);
            var expected = source.state_dict();
            foreach (var (name, tensor) in copy.state_dict())
                Assert.True(tensor.eq(expected[name]).all().item<bool>(), $"{name} differs");
        }
        finally { System.IO.File.Delete(path); }
    }

    static byte[] File(string header, byte[] data)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        return bytes;
    }

    public static TheoryData<string, byte[], string> Malformed() => new()
    {
        { "too short", [1, 2, 3], "shorter than the 8-byte header length" },
        { "header past the end", File("{}", [])[..9], "does not fit the file" },
        { "not JSON", File("{\"a\": ", []), "not JSON" },
        { "not an object", File("[1, 2]", []), "not a JSON object" },
        { "unknown dtype", File("{\"w\":{\"dtype\":\"Q7\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]), "dtype 'Q7'" },
        { "size mismatch", File("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", new byte[4]), "= 8 bytes but its data_offsets span 4" },
        { "overflowing shape", File("{\"w\":{\"dtype\":\"F64\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}", new byte[8]), "too large" },
        { "negative dimension", File("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", new byte[4]), "non-negative" },
        { "gap", File("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]), "expected 0 (gap or overlap)" },
        { "truncated data", File("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[4]), "cover 8 bytes but the data holds 4" },
        { "duplicate name", File("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", new byte[2]), "appears twice" },
        { "metadata not strings", File("{\"__metadata__\":{\"a\":1}}", []), "__metadata__.a is not a string" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_files_are_one_clear_error_and_load_nothing(string what, byte[] bytes, string expected)
    {
        var path = Path.Combine(Path.GetTempPath(), $"bad-{Guid.NewGuid():N}.safetensors");
        System.IO.File.WriteAllBytes(path, bytes);
        try
        {
            using var model = ModelZoo.Create("resnet8");
            var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
            var e = Assert.Throws<InvalidDataException>(() => model.LoadPyTorch(path));
            Assert.Contains(Path.GetFileName(path), e.Message);
            Assert.Contains(expected, e.Message);
            foreach (var (name, tensor) in model.state_dict())
                Assert.True(tensor.eq(before[name]).all().item<bool>(), $"{what}: {name} changed");
        }
        finally { System.IO.File.Delete(path); }
    }

    [Fact]
    public void Random_corruptions_of_a_real_file_never_escape_as_another_exception()
    {
        var original = System.IO.File.ReadAllBytes(Fixture("resnet8_b.safetensors"));
        var random = new Random(20261129);
        var path = Path.Combine(Path.GetTempPath(), $"fuzz-{Guid.NewGuid():N}.safetensors");
        try
        {
            for (var i = 0; i < 200; i++)
            {
                var bytes = (byte[])original.Clone();
                switch (i % 3)
                {
                    case 0:   // flip bytes in the length or the header
                        for (var k = 0; k < 3; k++) bytes[random.Next(Math.Min(bytes.Length, 2_000))] ^= (byte)random.Next(1, 256);
                        break;
                    case 1:   // truncate
                        bytes = bytes[..random.Next(bytes.Length)];
                        break;
                    default:  // insert bytes
                        var at = random.Next(bytes.Length);
                        bytes = [.. bytes[..at], .. Enumerable.Range(0, random.Next(1, 9)).Select(_ => (byte)random.Next(256)), .. bytes[at..]];
                        break;
                }
                System.IO.File.WriteAllBytes(path, bytes);
                try
                {
                    foreach (var t in SafeTensors.Read(path).Values) t.Dispose();   // a flip inside the data loads: values differ, the layout is valid
                }
                catch (InvalidDataException e)
                {
                    Assert.Contains(Path.GetFileName(path), e.Message);
                }
            }
        }
        finally { System.IO.File.Delete(path); }
    }
}
