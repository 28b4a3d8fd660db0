using System.Buffers.Binary;
using System.Text;

namespace ResNetLab.Models.Interop;

/// <summary>A Python global (module + name) seen in a pickle, e.g. torch._utils._rebuild_tensor_v2.</summary>
public sealed record PyGlobal(string Module, string Name)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Module}.{Name}";
}

/// <summary>An object of a class this reader does not rebuild (argparse.Namespace, numpy scalars…): kept opaque.</summary>
public sealed class PyObject(PyGlobal type, object?[] args)
{
    /// <summary>The class the pickle named.</summary>
    public PyGlobal Type { get; } = type;
    /// <summary>Constructor arguments (REDUCE/NEWOBJ).</summary>
    public object?[] Args { get; } = args;
    /// <summary>What BUILD (__setstate__) gave it, if anything.</summary>
    public object? State { get; set; }
    /// <inheritdoc/>
    public override string ToString() => $"<{Type}>";
}

/// <summary>
/// Reads one pickle (Python's serialisation, protocols 2–5 as torch.save writes them) into plain .NET values:
/// dict → OrderedDictionary&lt;object, object?&gt;, list → List&lt;object?&gt;, tuple → object?[], int → long,
/// float → double, str → string, bytes → byte[], None → null. Class construction (REDUCE/NEWOBJ) and persistent
/// ids (how torch.save refers to tensor storages) are handed to the callbacks.
/// </summary>
sealed class PickleReader(Stream stream, Func<object?, object?> persistentLoad, Func<PyGlobal, object?[], object?> reduce)
{
    readonly BinaryReader reader = new(stream, Encoding.UTF8, leaveOpen: true);
    readonly Dictionary<long, object?> memo = [];
    readonly List<object?> stack = [];
    readonly Stack<int> marks = new();

    static readonly object Mark = new();

    /// <summary>
    /// Read up to STOP. Malformed bytes (bad opcode, wrong types on the stack, lengths past the end, numbers that do not
    /// parse) end in <see cref="InvalidDataException"/> or <see cref="EndOfStreamException"/>, never another exception.
    /// </summary>
    public object? Load()
    {
        long position = -1;
        try
        {
            return Run(ref position);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException or InvalidCastException
                                      or DecoderFallbackException)
        {
            throw new InvalidDataException($"malformed pickle at byte {position}: {e.Message}", e);
        }
    }

    object? Run(ref long position)
    {
        while (true)
        {
            position = stream.CanSeek ? stream.Position : -1;
            var op = reader.ReadByte();
            switch (op)
            {
                case 0x80: reader.ReadByte(); break;                             // PROTO
                case 0x95: reader.ReadInt64(); break;                            // FRAME
                case (byte)'.': return Pop();                                    // STOP
                case (byte)'(': marks.Push(stack.Count); break;                  // MARK
                case (byte)')': Push(Array.Empty<object?>()); break;             // EMPTY_TUPLE
                case (byte)'}': Push(new OrderedDictionary<object, object?>()); break;
                case (byte)']': Push(new List<object?>()); break;
                case (byte)'N': Push(null); break;
                case 0x88: Push(true); break;
                case 0x89: Push(false); break;
                case (byte)'K': Push((long)reader.ReadByte()); break;            // BININT1
                case (byte)'M': Push((long)reader.ReadUInt16()); break;          // BININT2
                case (byte)'J': Push((long)reader.ReadInt32()); break;           // BININT
                case 0x8a: Push(ReadLong(reader.ReadByte())); break;             // LONG1
                case 0x8b: Push(ReadLong(reader.ReadInt32())); break;            // LONG4
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8))); break;
                case (byte)'X': Push(ReadString(reader.ReadUInt32(), Encoding.UTF8)); break;
                case 0x8c: Push(ReadString(reader.ReadByte(), Encoding.UTF8)); break;
                case 0x8d: Push(ReadString(checked((long)reader.ReadUInt64()), Encoding.UTF8)); break;
                case (byte)'T': Push(ReadString(reader.ReadInt32(), Encoding.Latin1)); break;
                case (byte)'U': Push(ReadString(reader.ReadByte(), Encoding.Latin1)); break;
                case (byte)'B': Push(ReadBytes(reader.ReadUInt32())); break;
                case (byte)'C': Push(ReadBytes(reader.ReadByte())); break;
                case 0x8e: Push(ReadBytes(checked((long)reader.ReadUInt64()))); break;
                case (byte)'t': Push(PopMark().ToArray()); break;                // TUPLE
                case 0x85: Push(new[] { Pop() }); break;
                case 0x86: { var b = Pop(); var a = Pop(); Push(new[] { a, b }); break; }
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new[] { a, b, c }); break; }
                case (byte)'l': Push(PopMark()); break;                          // LIST
                case (byte)'d': Push(ToDict(PopMark())); break;                  // DICT
                case (byte)'a': { var v = Pop(); AsList(Peek()).Add(v); break; }
                case (byte)'e': { var items = PopMark(); AsList(Peek()).AddRange(items); break; }
                case (byte)'s': { var v = Pop(); var k = Pop(); AsDict(Peek())[Key(k)] = v; break; }
                case (byte)'u': { var items = PopMark(); var d = AsDict(Peek()); AddPairs(d, items); break; }
                case (byte)'q': memo[reader.ReadByte()] = Peek(); break;         // BINPUT
                case (byte)'r': memo[reader.ReadUInt32()] = Peek(); break;       // LONG_BINPUT
                case 0x94: memo[memo.Count] = Peek(); break;                     // MEMOIZE
                case (byte)'p': memo[long.Parse(ReadLine())] = Peek(); break;    // PUT
                case (byte)'h': Push(Memo(reader.ReadByte())); break;            // BINGET
                case (byte)'j': Push(Memo(reader.ReadUInt32())); break;          // LONG_BINGET
                case (byte)'g': Push(Memo(long.Parse(ReadLine()))); break;       // GET
                case (byte)'c': { var module = ReadLine(); Push(new PyGlobal(module, ReadLine())); break; }
                case 0x93: { var name = Pop<string>("STACK_GLOBAL name"); Push(new PyGlobal(Pop<string>("STACK_GLOBAL module"), name)); break; }
                case (byte)'R': { var args = Pop<object?[]>("REDUCE arguments"); Push(reduce(AsGlobal(Pop()), args)); break; }
                case 0x81: { var args = Pop<object?[]>("NEWOBJ arguments"); Push(reduce(AsGlobal(Pop()), args)); break; }  // NEWOBJ
                case (byte)'b': Build(Pop(), Peek()); break;                     // BUILD
                case (byte)'Q': Push(persistentLoad(Pop())); break;              // BINPERSID
                case (byte)'0': Pop(); break;                                    // POP
                case (byte)'1': PopMark(); break;                                // POP_MARK
                case (byte)'2': Push(Peek()); break;                             // DUP
                case (byte)'I': Push(ReadLine() switch { "01" => true, "00" => false, var s => long.Parse(s) }); break;
                case (byte)'F': Push(double.Parse(ReadLine(), System.Globalization.CultureInfo.InvariantCulture)); break;
                default:
                    throw new InvalidDataException($"unsupported pickle opcode 0x{op:x2} at byte {position}");
            }
        }
    }

    static void Build(object? state, object? target)
    {
        // torch's OrderedDict state (_metadata) and plain objects' __dict__: neither matters for weights.
        if (target is PyObject o) o.State = state;
    }

    void Push(object? value) => stack.Add(value);

    object? Memo(long key) => memo.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"pickle refers to unknown memo entry {key}");

    object? Peek() => stack.Count > 0 ? stack[^1] : throw new InvalidDataException("pickle stack underflow");

    T Pop<T>(string what) => Pop() is T value ? value : throw new InvalidDataException($"pickle {what} is not a {typeof(T).Name}");

    object? Pop()
    {
        var v = Peek();
        stack.RemoveAt(stack.Count - 1);
        return v;
    }

    List<object?> PopMark()
    {
        if (marks.Count == 0) throw new InvalidDataException("pickle MARK missing");
        var start = marks.Pop();
        if (start > stack.Count) throw new InvalidDataException("pickle MARK points past the stack");
        var items = stack.GetRange(start, stack.Count - start);
        stack.RemoveRange(start, stack.Count - start);
        return items;
    }

    static OrderedDictionary<object, object?> ToDict(List<object?> items)
    {
        var d = new OrderedDictionary<object, object?>();
        AddPairs(d, items);
        return d;
    }

    static void AddPairs(OrderedDictionary<object, object?> d, List<object?> items)
    {
        if (items.Count % 2 != 0) throw new InvalidDataException($"pickle dict items come in pairs, got {items.Count} values");
        for (var i = 0; i < items.Count; i += 2) d[Key(items[i])] = items[i + 1];
    }

    static object Key(object? k) => k ?? throw new InvalidDataException("pickle dict key is None");

    /// <summary>Bytes of a length read from the file: checked against what is left, so a corrupt length cannot allocate gigabytes.</summary>
    byte[] ReadBytes(long length)
    {
        if (length < 0) throw new InvalidDataException($"pickle length {length} is negative");
        if (stream.CanSeek && length > stream.Length - stream.Position) throw new EndOfStreamException();
        var bytes = reader.ReadBytes(checked((int)length));
        return bytes.Length == length ? bytes : throw new EndOfStreamException();
    }

    static List<object?> AsList(object? o) => o as List<object?> ?? throw new InvalidDataException($"pickle APPEND to a {o?.GetType().Name}");

    static OrderedDictionary<object, object?> AsDict(object? o) =>
        o as OrderedDictionary<object, object?> ?? throw new InvalidDataException($"pickle SETITEM on a {o?.GetType().Name}");

    static PyGlobal AsGlobal(object? o) => o as PyGlobal ?? throw new InvalidDataException($"pickle REDUCE on a {o?.GetType().Name}");

    string ReadString(long length, Encoding encoding) => encoding.GetString(ReadBytes(length));

    string ReadLine()
    {
        var bytes = new List<byte>();
        for (var b = reader.ReadByte(); b != (byte)'\n'; b = reader.ReadByte()) bytes.Add(b);
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>LONG1/LONG4: little-endian two's complement; a long when it fits, else a BigInteger.</summary>
    object ReadLong(int length)
    {
        var bytes = ReadBytes(length);
        if (length == 0) return 0L;
        if (length > 8) return new System.Numerics.BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        long value = 0;
        for (var i = length - 1; i >= 0; i--) value = (value << 8) | bytes[i];
        if (length is > 0 and < 8 && (bytes[^1] & 0x80) != 0) value -= 1L << (8 * length);  // two's complement
        return value;
    }
}

/// <summary>Writes the protocol-2 pickle torch.save produces for a state_dict (an OrderedDict of tensors).</summary>
sealed class PickleWriter(Stream stream)
{
    readonly BinaryWriter writer = new(stream, Encoding.UTF8, leaveOpen: true);

    public void Proto() { writer.Write((byte)0x80); writer.Write((byte)2); }
    public void Stop() => writer.Write((byte)'.');
    public void Mark() => writer.Write((byte)'(');
    public void Tuple() => writer.Write((byte)'t');
    public void EmptyTuple() => writer.Write((byte)')');
    public void Reduce() => writer.Write((byte)'R');
    public void SetItems() => writer.Write((byte)'u');
    public void PersistentId() => writer.Write((byte)'Q');
    public void False() => writer.Write((byte)0x89);

    public void Global(string module, string name)
    {
        writer.Write((byte)'c');
        writer.Write(Encoding.UTF8.GetBytes($"{module}\n{name}\n"));
    }

    public void String(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        writer.Write((byte)'X');
        writer.Write((uint)bytes.Length);
        writer.Write(bytes);
    }

    public void Int(long v)
    {
        if (v is >= int.MinValue and <= int.MaxValue) { writer.Write((byte)'J'); writer.Write((int)v); }
        else { writer.Write((byte)0x8a); writer.Write((byte)8); writer.Write(v); }  // LONG1, 8 bytes little-endian
    }

    public void IntTuple(IEnumerable<long> values)
    {
        Mark();
        foreach (var v in values) Int(v);
        Tuple();
    }
}
