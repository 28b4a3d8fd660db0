using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace ResNetLab.Models.Interop;

/// <summary>
/// The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of UTF-8 JSON mapping each
/// tensor name to {dtype, shape, data_offsets: [begin, end]} (plus an optional "__metadata__" of strings), then one
/// byte buffer that the entries cover exactly, without gaps or overlaps. Reading checks all of that — header size,
/// JSON shape, dtypes, element counts against byte ranges (checked arithmetic), coverage — before creating any tensor,
/// so a malformed file is one <see cref="InvalidDataException"/> naming the file and loads nothing.
/// </summary>
public static class SafeTensors
{
    /// <summary>Larger headers are refused (the reference implementation's limit is 100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    const string Metadata = "__metadata__";

    static readonly (string Name, ScalarType Type, int Size)[] DTypes =
    [
        ("F64", ScalarType.Float64, 8), ("F32", ScalarType.Float32, 4), ("F16", ScalarType.Float16, 2), ("BF16", ScalarType.BFloat16, 2),
        ("I64", ScalarType.Int64, 8), ("I32", ScalarType.Int32, 4), ("I16", ScalarType.Int16, 2), ("I8", ScalarType.Int8, 1),
        ("U8", ScalarType.Byte, 1), ("BOOL", ScalarType.Bool, 1),
    ];

    /// <summary>True when <paramref name="path"/> is named *.safetensors or starts like one (a length, then '{').</summary>
    public static bool Looks(string path)
    {
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)) return true;
        using var f = File.OpenRead(path);
        Span<byte> head = stackalloc byte[9];
        return f.Read(head) == 9 && head[8] == (byte)'{' && BinaryPrimitives.ReadUInt64LittleEndian(head) is > 1 and <= MaxHeaderBytes;
    }

    /// <summary>One tensor's entry in the header.</summary>
    public sealed record Entry(string Name, ScalarType DType, long[] Shape, long Begin, long End);

    /// <summary>The validated header of a file: its entries in buffer order and its metadata.</summary>
    public static (IReadOnlyList<Entry> Entries, IReadOnlyDictionary<string, string> Metadata, long DataStart) ReadHeader(string path)
    {
        var name = Path.GetFileName(path);
        InvalidDataException Bad(string what) => new($"{name} is not a valid safetensors file: {what}");
        using var file = File.OpenRead(path);
        var length = file.Length;
        if (length < 8) throw Bad($"{length} bytes, shorter than the 8-byte header length");
        Span<byte> prefix = stackalloc byte[8];
        file.ReadExactly(prefix);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength < 2 || headerLength > MaxHeaderBytes || (long)headerLength > length - 8)
            throw Bad($"header length {headerLength:N0} does not fit the file ({length:N0} bytes; at most {MaxHeaderBytes:N0})");
        var header = new byte[headerLength];
        file.ReadExactly(header);
        var dataStart = 8 + (long)headerLength;
        var dataLength = length - dataStart;

        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw Bad($"the header is not JSON ({e.Message})");
        }
        using (json)
        try
        {
            if (json.RootElement.ValueKind != JsonValueKind.Object) throw Bad("the header is not a JSON object");
            var entries = new List<Entry>();
            var metadata = new Dictionary<string, string>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in json.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name)) throw Bad($"'{property.Name}' appears twice in the header");
                if (property.Name == Metadata)
                {
                    if (property.Value.ValueKind != JsonValueKind.Object) throw Bad("__metadata__ is not an object");
                    foreach (var m in property.Value.EnumerateObject())
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : throw Bad($"__metadata__.{m.Name} is not a string");
                    continue;
                }
                entries.Add(ParseEntry(property, Bad));
            }
            entries.Sort((a, b) => a.Begin.CompareTo(b.Begin));
            long expected = 0;
            foreach (var e in entries)
            {
                if (e.Begin != expected) throw Bad($"'{e.Name}' starts at byte {e.Begin:N0} of the data, expected {expected:N0} (gap or overlap)");
                expected = e.End;
            }
            if (expected != dataLength) throw Bad($"the tensors cover {expected:N0} bytes but the data holds {dataLength:N0} (truncated or padded file)");
            return (entries, metadata, dataStart);
        }
        catch (InvalidOperationException e)   // a string that is not valid UTF-8 surfaces only when read
        {
            throw Bad($"the header is not valid UTF-8 JSON ({e.Message})");
        }
    }

    static Entry ParseEntry(JsonProperty property, Func<string, InvalidDataException> bad)
    {
        var v = property.Value;
        var what = $"'{property.Name}'";
        if (v.ValueKind != JsonValueKind.Object) throw bad($"{what} is not an object");
        if (!v.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String) throw bad($"{what} has no dtype");
        var type = DTypes.FirstOrDefault(d => d.Name == dtype.GetString());
        if (type.Name is null) throw bad($"{what} has dtype '{dtype.GetString()}' (supported: {string.Join(", ", DTypes.Select(d => d.Name))})");
        if (!v.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array) throw bad($"{what} has no shape list");
        var dims = new List<long>();
        foreach (var d in shape.EnumerateArray())
            dims.Add(d.ValueKind == JsonValueKind.Number && d.TryGetInt64(out var n) && n >= 0 ? n : throw bad($"{what} has a shape entry that is not a non-negative integer"));
        if (!v.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw bad($"{what} has no [begin, end] data_offsets");
        var ends = offsets.EnumerateArray().Select(o => o.ValueKind == JsonValueKind.Number && o.TryGetInt64(out var n) && n >= 0 ? n : -1).ToArray();
        if (ends[0] < 0 || ends[1] < ends[0]) throw bad($"{what} has data_offsets [{offsets[0]}, {offsets[1]}]");
        long bytes;
        try
        {
            bytes = checked(dims.Aggregate(1L, (a, b) => checked(a * b)) * type.Size);
        }
        catch (OverflowException)
        {
            throw bad($"{what} has a shape [{string.Join(", ", dims)}] too large to hold");
        }
        if (bytes != ends[1] - ends[0])
            throw bad($"{what} is {type.Name} [{string.Join(", ", dims)}] = {bytes:N0} bytes but its data_offsets span {ends[1] - ends[0]:N0}");
        return new Entry(property.Name, type.Type, [.. dims], ends[0], ends[1]);
    }

    /// <summary>Every tensor of the file by name, all or nothing; the caller owns (disposes) them.</summary>
    public static Dictionary<string, Tensor> Read(string path)
    {
        var (entries, _, dataStart) = ReadHeader(path);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            using var file = File.OpenRead(path);
            foreach (var e in entries)
            {
                var bytes = new byte[e.End - e.Begin];
                file.Position = dataStart + e.Begin;
                file.ReadExactly(bytes);
                var t = empty(e.Shape, e.DType);
                if (bytes.Length > 0) t.bytes = bytes;
                result[e.Name] = t;
            }
            return result;
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Write tensors (contiguous CPU copies; names as given) and optional string metadata, replacing
    /// <paramref name="path"/> atomically. The header is padded with spaces to 8 bytes, as the reference writer does.
    /// </summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var items = tensors.Select(kv => (kv.Key, Bytes: TensorBytes(kv.Value), kv.Value)).ToList();
        var header = new Dictionary<string, object>();
        if (metadata is { Count: > 0 }) header[Metadata] = metadata;
        long offset = 0;
        foreach (var (name, bytes, t) in items)
        {
            var dtype = DTypes.FirstOrDefault(d => d.Type == t.dtype);
            if (dtype.Name is null) throw new ArgumentException($"tensor '{name}' has dtype {t.dtype}, which safetensors cannot hold");
            header[name] = new Dictionary<string, object> { ["dtype"] = dtype.Name, ["shape"] = t.shape, ["data_offsets"] = new[] { offset, offset + bytes.Length } };
            offset += bytes.Length;
        }
        var json = JsonSerializer.Serialize(header);
        var padded = json + new string(' ', (8 - Encoding.UTF8.GetByteCount(json) % 8) % 8);
        var headerBytes = Encoding.UTF8.GetBytes(padded);
        ResNetLab.Runtime.AtomicFile.Write(path, stream =>
        {
            Span<byte> prefix = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)headerBytes.Length);
            stream.Write(prefix);
            stream.Write(headerBytes);
            foreach (var (_, bytes, _) in items) stream.Write(bytes);
        }, "weights (safetensors)");
    }

    static byte[] TensorBytes(Tensor t)
    {
        using var cpu = t.detach().cpu().contiguous();
        return cpu.bytes.ToArray();
    }
}
