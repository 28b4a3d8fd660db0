using ResNetLab.Runtime;
using System.IO.Compression;
using static TorchSharp.torch;

namespace ResNetLab.Models.Interop;

/// <summary>
/// Reads and writes files of PyTorch's <c>torch.save</c>: the zip format (PyTorch ≥ 1.6: <c>data.pkl</c> plus one
/// <c>data/&lt;key&gt;</c> entry per storage) and the legacy format (pre-1.6: a run of pickles followed by the raw
/// storages). Only data is rebuilt (dicts, lists, numbers, strings, tensors); no Python code runs.
/// </summary>
public static class TorchFile
{
    /// <summary>The legacy format's first pickle (torch/serialization.py MAGIC_NUMBER).</summary>
    static readonly System.Numerics.BigInteger LegacyMagic = System.Numerics.BigInteger.Parse("1950a86a20f9469cfc6c", System.Globalization.NumberStyles.HexNumber);

    /// <summary>
    /// Load any torch.save file: tensors come back as CPU tensors (owned by the caller), dicts as OrderedDictionary.
    /// A malformed or damaged file throws the project's <see cref="InputFile"/> error naming it, and no tensor leaks.
    /// </summary>
    public static object? Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} does not exist", path);
        return InputFile.Guard(path, () =>
        {
            using var stream = File.OpenRead(path);
            try
            {
                return IsZip(stream) ? LoadZip(stream) : LoadLegacy(stream);
            }
            catch (EndOfStreamException e)
            {
                throw InputFile.Invalid(path, "ends early: not a complete torch.save file", e);
            }
        });
    }

    static bool IsZip(Stream s)
    {
        Span<byte> sig = stackalloc byte[4];
        var n = s.Read(sig);
        s.Position = 0;
        return n == 4 && sig[0] == 0x50 && sig[1] == 0x4b && sig[2] == 0x03 && sig[3] == 0x04;
    }

    static object? LoadZip(Stream stream)
    {
        using var zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        var pkl = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("/data.pkl") && e.FullName.Count(c => c == '/') == 1)
                  ?? throw new InvalidDataException("zip file has no <archive>/data.pkl: not written by torch.save");
        var prefix = pkl.FullName[..^"data.pkl".Length];
        var storages = new Dictionary<string, Tensor>();

        Tensor Storage(StorageRef r)
        {
            if (storages.TryGetValue(r.Key, out var t))
                return t.dtype == r.DType ? t : throw new InvalidDataException($"storage data/{r.Key} is used as both {t.dtype} and {r.DType}");
            var entry = zip.GetEntry($"{prefix}data/{r.Key}") ?? throw new InvalidDataException($"storage data/{r.Key} missing from the archive");
            var bytes = ReadEntry(entry);
            if (bytes.Length % ElementSize(r.DType) != 0)
                throw new InvalidDataException($"storage data/{r.Key} has {bytes.Length} bytes, not a whole number of {r.DType} elements");
            t = empty(bytes.Length / ElementSize(r.DType), r.DType);
            t.bytes = bytes;
            storages[r.Key] = t;
            return t;
        }

        var root = new PickleReader(new MemoryStream(ReadEntry(pkl)), PersistentLoad, Reduce).Load();
        var result = new List<Tensor>();
        try
        {
            return Resolve(root, p => Keep(result, p.Build(Storage(p.Storage))));
        }
        catch
        {
            foreach (var t in result) t.Dispose();
            throw;
        }
        finally
        {
            foreach (var t in storages.Values) t.Dispose();
        }
    }

    static Tensor Keep(List<Tensor> built, Tensor t)
    {
        built.Add(t);
        return t;
    }

    /// <summary>
    /// An entry's bytes, its size checked against the archive and its CRC-32 against the central directory: .NET's
    /// ZipArchive does not verify it, and a flipped bit in a stored tensor would otherwise load as a wrong weight.
    /// </summary>
    static byte[] ReadEntry(ZipArchiveEntry entry)
    {
        // Deflate cannot expand more than ~1032:1, so a larger declared size is a damaged directory, not data.
        if (entry.Length < 0 || entry.Length > Math.Max(1L << 20, checked(entry.CompressedLength * 1100)) || entry.Length > Array.MaxLength)
            throw new InvalidDataException($"zip entry {entry.FullName} declares {entry.Length:N0} bytes from {entry.CompressedLength:N0} stored");
        var bytes = new byte[entry.Length];
        using (var data = entry.Open())
        {
            data.ReadExactly(bytes);
            if (data.ReadByte() != -1) throw new InvalidDataException($"zip entry {entry.FullName} is longer than its declared {entry.Length:N0} bytes");
        }
        var crc = Crc32.Compute(bytes);
        if (crc != entry.Crc32)
            throw new InvalidDataException($"zip entry {entry.FullName} is damaged: CRC-32 {crc:x8}, the archive says {entry.Crc32:x8}");
        return bytes;
    }

    static object? LoadLegacy(Stream stream)
    {
        // magic number, protocol version, sys_info, the object, the storage keys, then each storage: int64 count + bytes.
        object? magic;
        try { magic = new PickleReader(stream, _ => null, Reduce).Load(); }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or InvalidCastException or FormatException)
        {
            magic = null;
        }
        if (magic is not System.Numerics.BigInteger m || m != LegacyMagic)
            throw new InvalidDataException("neither a zip archive nor a legacy torch.save file (no magic number)");
        var protocol = new PickleReader(stream, _ => null, Reduce).Load();
        if (protocol is not 1001L) throw new InvalidDataException($"legacy torch.save protocol {protocol} is not supported (1001 is)");
        var sysInfo = new PickleReader(stream, _ => null, Reduce).Load() as OrderedDictionary<object, object?>;
        if (sysInfo is not null && sysInfo.TryGetValue("little_endian", out var le) && le is false)
            throw new InvalidDataException("big-endian torch.save files are not supported");
        var refs = new Dictionary<string, StorageRef>();
        var root = new PickleReader(stream, pid =>
        {
            var r = PersistentLoad(pid);
            if (!refs.TryAdd(r.Key, r) && refs[r.Key].DType != r.DType)
                throw new InvalidDataException($"storage {r.Key} is used as both {refs[r.Key].DType} and {r.DType}");
            return r;
        }, Reduce).Load();
        var keys = (new PickleReader(stream, _ => null, Reduce).Load() as List<object?>)
                   ?? throw new InvalidDataException("legacy torch.save file lacks its storage key list");

        var storages = new Dictionary<string, Tensor>();
        var result = new List<Tensor>();
        using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        try
        {
            foreach (var k in keys)
            {
                var key = k as string ?? throw new InvalidDataException($"storage key {k} is not a string");
                var count = reader.ReadInt64();
                if (!refs.TryGetValue(key, out var r)) throw new InvalidDataException($"storage {key} is not referenced by the pickle");
                if (storages.ContainsKey(key)) throw new InvalidDataException($"storage {key} appears twice");
                storages[key] = ReadStorage(stream, r.DType, count);
            }
            if (stream.Position != stream.Length)
                throw new InvalidDataException($"{stream.Length - stream.Position:N0} bytes after the last storage");
            return Resolve(root, p => Keep(result, p.Build(storages.TryGetValue(p.Storage.Key, out var t) ? t
                : throw new InvalidDataException($"storage {p.Storage.Key} missing from the file"))));
        }
        catch
        {
            foreach (var t in result) t.Dispose();
            throw;
        }
        finally
        {
            foreach (var t in storages.Values) t.Dispose();
        }
    }

    static Tensor ReadStorage(Stream data, ScalarType dtype, long count)
    {
        if (count < 0) throw new InvalidDataException($"storage of {count} elements");
        var length = checked(count * ElementSize(dtype));
        if (length > data.Length - data.Position)
            throw new InvalidDataException($"storage of {count:N0} {dtype} elements runs past the end of the file");
        var bytes = new byte[length];
        data.ReadExactly(bytes);
        var t = empty(count, dtype);
        t.bytes = bytes;
        return t;
    }

    /// <summary>torch.save's persistent id: ('storage', type, key, location, numel[, view_metadata]).</summary>
    static StorageRef PersistentLoad(object? pid)
    {
        if (pid is not object?[] { Length: >= 5 } t || t[0] is not "storage" || t[1] is not PyGlobal type || t[2] is not string key)
            throw new InvalidDataException($"unknown persistent id in pickle: {pid}");
        long viewOffset = 0;
        if (t.Length >= 6 && t[5] is object?[] { Length: 3 } view)  // legacy storage view: (view_key, offset, size)
            viewOffset = view[1] as long? ?? throw new InvalidDataException($"storage view offset {view[1]} is not an integer");
        return new StorageRef(key, StorageType(type.Name), viewOffset);
    }

    static object? Reduce(PyGlobal f, object?[] args) => (f.Module, f.Name) switch
    {
        ("torch._utils", "_rebuild_tensor_v2" or "_rebuild_tensor") =>
            args.Length >= 4 && args[0] is StorageRef storage && args[1] is long offset
                ? new PendingTensor(storage, offset, Longs(args[2], "size"), Longs(args[3], "stride"))
                : throw new InvalidDataException("torch._utils._rebuild_tensor arguments are not (storage, offset, size, stride, …)"),
        ("torch._utils", "_rebuild_parameter") => args.Length > 0 ? args[0] : throw new InvalidDataException("_rebuild_parameter without arguments"),   // whole-module saves wrap tensors in Parameters
        ("collections", "OrderedDict") => new OrderedDictionary<object, object?>(),
        ("torch._utils", var name) => throw new InvalidDataException($"tensors of kind torch._utils.{name} are not supported"),
        _ => new PyObject(f, args),
    };

    static long[] Longs(object? tuple, string what) =>
        tuple is object?[] items && items.All(o => o is long)
            ? items.Select(o => (long)o!).ToArray()
            : throw new InvalidDataException($"tensor {what} is not a tuple of integers");

    static ScalarType StorageType(string name) => name switch
    {
        "FloatStorage" => ScalarType.Float32,
        "DoubleStorage" => ScalarType.Float64,
        "HalfStorage" => ScalarType.Float16,
        "BFloat16Storage" => ScalarType.BFloat16,
        "LongStorage" => ScalarType.Int64,
        "IntStorage" => ScalarType.Int32,
        "ShortStorage" => ScalarType.Int16,
        "CharStorage" => ScalarType.Int8,
        "ByteStorage" => ScalarType.Byte,
        "BoolStorage" => ScalarType.Bool,
        _ => throw new InvalidDataException($"storage type torch.{name} is not supported"),
    };

    static string StorageName(ScalarType t) => t switch
    {
        ScalarType.Float32 => "FloatStorage",
        ScalarType.Float64 => "DoubleStorage",
        ScalarType.Float16 => "HalfStorage",
        ScalarType.BFloat16 => "BFloat16Storage",
        ScalarType.Int64 => "LongStorage",
        ScalarType.Int32 => "IntStorage",
        ScalarType.Int16 => "ShortStorage",
        ScalarType.Int8 => "CharStorage",
        ScalarType.Byte => "ByteStorage",
        ScalarType.Bool => "BoolStorage",
        _ => throw new ArgumentException($"cannot save tensors of type {t}"),
    };

    static long ElementSize(ScalarType t) => t switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        _ => 1,
    };

    /// <summary>
    /// Replace every PendingTensor in a loaded graph (dicts, lists, tuples) by what <paramref name="build"/> gives.
    /// Each container is visited once (a pickle's memo can make a list contain itself) and nesting is bounded, so a
    /// malicious file cannot overflow the stack.
    /// </summary>
    static object? Resolve(object? root, Func<PendingTensor, object?> build)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        object? Walk(object? o, int depth)
        {
            if (depth > MaxDepth) throw new InvalidDataException($"pickle nests deeper than {MaxDepth} levels");
            if (o is PendingTensor p) return build(p);
            if (o is null || !seen.Add(o)) return o;
            switch (o)
            {
                case OrderedDictionary<object, object?> d:
                    foreach (var k in d.Keys.ToArray()) d[k] = Walk(d[k], depth + 1);
                    break;
                case List<object?> l:
                    for (var i = 0; i < l.Count; i++) l[i] = Walk(l[i], depth + 1);
                    break;
                case object?[] a:
                    for (var i = 0; i < a.Length; i++) a[i] = Walk(a[i], depth + 1);
                    break;
                case PyObject py:
                    for (var i = 0; i < py.Args.Length; i++) py.Args[i] = Walk(py.Args[i], depth + 1);
                    py.State = Walk(py.State, depth + 1);
                    break;
            }
            return o;
        }
        return Walk(root, 0);
    }

    const int MaxDepth = 200;

    /// <summary>
    /// Write a state_dict as torch.save does (zip format, pickle protocol 2, an OrderedDict of tensors), replaced atomically, so that
    /// <c>model.load_state_dict(torch.load(path))</c> works in PyTorch. Tensors are written from CPU, contiguous.
    /// </summary>
    public static void SaveStateDict(IEnumerable<KeyValuePair<string, Tensor>> stateDict, string path)
    {
        var archive = Path.GetFileNameWithoutExtension(path) is { Length: > 0 } stem ? stem : "archive";
        var pickle = new MemoryStream();
        var w = new PickleWriter(pickle);
        w.Proto();
        w.Global("collections", "OrderedDict");
        w.EmptyTuple();
        w.Reduce();
        w.Mark();
        var index = 0;
        var storages = new List<(string Key, byte[] Bytes)>();
        foreach (var (name, tensor) in stateDict)
        {
            using var cpu = tensor.detach().cpu().contiguous();
            var key = (index++).ToString();
            storages.Add((key, cpu.bytes.ToArray()));
            w.String(name);
            w.Global("torch._utils", "_rebuild_tensor_v2");
            w.Mark();
            w.Mark();
            w.String("storage");
            w.Global("torch", StorageName(cpu.dtype));
            w.String(key);
            w.String("cpu");
            w.Int(cpu.numel());
            w.Tuple();
            w.PersistentId();
            w.Int(0);
            w.IntTuple(cpu.shape);
            w.IntTuple(cpu.stride());
            w.False();
            w.Global("collections", "OrderedDict");
            w.EmptyTuple();
            w.Reduce();
            w.Tuple();
            w.Reduce();
        }
        w.SetItems();
        w.Stop();

        // Stored, not deflated, as torch.save writes them; data.pkl first, since readers take the archive name from it.
        ResNetLab.Runtime.AtomicFile.Write(path, file =>
        {
            using var zip = new ZipArchive(file, ZipArchiveMode.Create, leaveOpen: true);
            Write(zip, $"{archive}/data.pkl", pickle.ToArray());
            foreach (var (key, bytes) in storages) Write(zip, $"{archive}/data/{key}", bytes);
            Write(zip, $"{archive}/version", "3\n"u8.ToArray());
        }, "weights (torch.save zip)");
    }

    static void Write(ZipArchive zip, string name, byte[] bytes)
    {
        using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
        s.Write(bytes);
    }

    sealed record StorageRef(string Key, ScalarType DType, long ViewOffset);

    sealed record PendingTensor(StorageRef Storage, long Offset, long[] Size, long[] Stride)
    {
        /// <summary>The tensor viewed from its storage; size, stride and offset are checked here, not left to libtorch.</summary>
        public Tensor Build(Tensor storage)
        {
            if (Size.Length != Stride.Length)
                throw new InvalidDataException($"tensor has {Size.Length} sizes but {Stride.Length} strides");
            if (Size.Any(n => n < 0) || Stride.Any(n => n < 0))
                throw new InvalidDataException($"tensor size [{string.Join(", ", Size)}] or stride [{string.Join(", ", Stride)}] is negative");
            var offset = checked(Storage.ViewOffset + Offset);
            if (offset < 0) throw new InvalidDataException($"tensor storage offset {offset} is negative");
            var numel = storage.numel();
            if (!Size.Contains(0))
            {
                long last = offset;  // index of the view's last element
                for (var i = 0; i < Size.Length; i++) last = checked(last + (Size[i] - 1) * Stride[i]);
                if (last >= numel)
                    throw new InvalidDataException($"tensor of size [{string.Join(", ", Size)}], stride [{string.Join(", ", Stride)}] " +
                                                   $"at offset {offset} reaches element {last:N0} of a storage of {numel:N0}");
            }
            using var view = storage.as_strided(Size, Stride, offset);
            return view.clone();
        }
    }
}
