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

    /// <summary>Load any torch.save file: tensors come back as CPU tensors (owned by the caller), dicts as OrderedDictionary.</summary>
    public static object? Load(string path)
    {
        using var stream = File.OpenRead(path);
        try
        {
            return IsZip(stream) ? LoadZip(stream) : LoadLegacy(stream);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{path} ends early: not a complete torch.save file");
        }
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
            if (storages.TryGetValue(r.Key, out var t)) return t;
            var entry = zip.GetEntry($"{prefix}data/{r.Key}") ?? throw new InvalidDataException($"storage data/{r.Key} missing from the archive");
            using var data = entry.Open();
            t = ReadStorage(data, r.DType, entry.Length / ElementSize(r.DType));
            storages[r.Key] = t;
            return t;
        }

        object? root;
        using (var s = pkl.Open())
            root = new PickleReader(s, PersistentLoad, Reduce).Load();
        try
        {
            return Resolve(root, p => p.Build(Storage(p.Storage)));
        }
        finally
        {
            foreach (var t in storages.Values) t.Dispose();
        }
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
        var root = new PickleReader(stream, pid => { var r = PersistentLoad(pid); refs.TryAdd(r.Key, r); return r; }, Reduce).Load();
        var keys = (new PickleReader(stream, _ => null, Reduce).Load() as List<object?>)
                   ?? throw new InvalidDataException("legacy torch.save file lacks its storage key list");

        var storages = new Dictionary<string, Tensor>();
        using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        try
        {
            foreach (var key in keys.Cast<string>())
            {
                var count = reader.ReadInt64();
                if (!refs.TryGetValue(key, out var r)) throw new InvalidDataException($"storage {key} is not referenced by the pickle");
                storages[key] = ReadStorage(stream, r.DType, count);
            }
            return Resolve(root, p => p.Build(storages.TryGetValue(p.Storage.Key, out var t) ? t
                : throw new InvalidDataException($"storage {p.Storage.Key} missing from the file")));
        }
        finally
        {
            foreach (var t in storages.Values) t.Dispose();
        }
    }

    static Tensor ReadStorage(Stream data, ScalarType dtype, long count)
    {
        var bytes = new byte[checked(count * ElementSize(dtype))];
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
            viewOffset = (long)view[1]!;
        return new StorageRef(key, StorageType(type.Name), viewOffset);
    }

    static object? Reduce(PyGlobal f, object?[] args) => (f.Module, f.Name) switch
    {
        ("torch._utils", "_rebuild_tensor_v2" or "_rebuild_tensor") =>
            new PendingTensor((StorageRef)args[0]!, (long)args[1]!, Longs(args[2]), Longs(args[3])),
        ("torch._utils", "_rebuild_parameter") => args[0],   // whole-module saves wrap tensors in Parameters
        ("collections", "OrderedDict") => new OrderedDictionary<object, object?>(),
        ("torch._utils", var name) => throw new InvalidDataException($"tensors of kind torch._utils.{name} are not supported"),
        _ => new PyObject(f, args),
    };

    static long[] Longs(object? tuple) => ((object?[])tuple!).Select(o => (long)o!).ToArray();

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

    /// <summary>Replace every PendingTensor in a loaded graph (dicts, lists, tuples) by what <paramref name="build"/> gives.</summary>
    static object? Resolve(object? o, Func<PendingTensor, object?> build)
    {
        switch (o)
        {
            case PendingTensor p:
                return build(p);
            case OrderedDictionary<object, object?> d:
                foreach (var k in d.Keys.ToArray()) d[k] = Resolve(d[k], build);
                return d;
            case List<object?> l:
                for (var i = 0; i < l.Count; i++) l[i] = Resolve(l[i], build);
                return l;
            case object?[] a:
                for (var i = 0; i < a.Length; i++) a[i] = Resolve(a[i], build);
                return a;
            default:
                return o;
        }
    }

    /// <summary>
    /// Write a state_dict as torch.save does (zip format, pickle protocol 2, an OrderedDict of tensors), so that
    /// <c>model.load_state_dict(torch.load(path))</c> works in PyTorch. Tensors are written from CPU, contiguous.
    /// </summary>
    public static void SaveStateDict(IEnumerable<KeyValuePair<string, Tensor>> stateDict, string path)
    {
        var archive = Path.GetFileNameWithoutExtension(path) is { Length: > 0 } stem ? stem : "archive";
        using var file = File.Create(path);
        using var zip = new ZipArchive(file, ZipArchiveMode.Create);
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
        Write(zip, $"{archive}/data.pkl", pickle.ToArray());
        foreach (var (key, bytes) in storages) Write(zip, $"{archive}/data/{key}", bytes);
        Write(zip, $"{archive}/version", "3\n"u8.ToArray());
    }

    static void Write(ZipArchive zip, string name, byte[] bytes)
    {
        using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
        s.Write(bytes);
    }

    sealed record StorageRef(string Key, ScalarType DType, long ViewOffset);

    sealed record PendingTensor(StorageRef Storage, long Offset, long[] Size, long[] Stride)
    {
        public Tensor Build(Tensor storage)
        {
            using var view = storage.as_strided(Size, Stride, Storage.ViewOffset + Offset);
            return view.clone();
        }
    }
}
