using ResNetLab.Runtime;
using System.Text;
using System.Text.Json;
using ResNetLab.Data;
using static TorchSharp.torch;

namespace ResNetLab.Training;

/// <summary>
/// checkpoint.bin: magic, JSON state, model state_dict (TorchSharp format, BN statistics included), momentum buffers,
/// then (since format 2) the CRC-32 of everything before it, so a damaged file is refused instead of resuming from
/// wrong weights. Written to a temporary file and renamed, so a kill mid-write leaves the previous checkpoint intact.
/// Reading is all-or-nothing: a damaged or mismatched file throws <see cref="InputFile"/>'s error naming it and
/// leaves the model and optimizer as they were.
/// </summary>
public static class Checkpoint
{
    const string Magic = "RESNETLAB-CKPT-2";

    /// <summary>Format 1: the same without the CRC-32 trailer (still read).</summary>
    const string MagicV1 = "RESNETLAB-CKPT-1";

    /// <summary>Write state, weights and momentum to <paramref name="path"/> atomically: a kill mid-write leaves the previous checkpoint.</summary>
    public static void Save(string path, CheckpointState state, nn.Module model, MomentumSgd optimizer) =>
        Runs.WriteAtomically(path, stream =>
        {
            var crc = new Crc32Stream(stream);
            using (var writer = new BinaryWriter(crc, Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(Magic);
                writer.Write(JsonSerializer.Serialize(state, RunJson.Options));
                model.save(writer);
                optimizer.Save(writer);
            }
            using var trailer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            trailer.Write(crc.Crc);
        }, "the checkpoint");

    /// <summary>Read only the JSON state (cheap: no tensors are loaded).</summary>
    public static CheckpointState ReadState(string path) =>
        InputFile.Guard(path, () =>
        {
            using var stream = OpenChecked(path, out var reader, out _);
            using (reader) return ReadStateFrom(reader, path);
        });

    /// <summary>Load weights (and momentum buffers when an optimizer is given) into existing objects; returns the state.</summary>
    public static CheckpointState Load(string path, nn.Module model, MomentumSgd? optimizer) =>
        InputFile.Guard(path, () =>
        {
            using var stream = OpenChecked(path, out var reader, out var end);
            using (reader)
            {
                var state = ReadStateFrom(reader, path);
                GeneratorState.Validate(state.CpuRngState);
                var backup = Snapshot(model);
                try
                {
                    model.load(reader, strict: true);
                    optimizer?.Load(reader);
                    if (optimizer is not null && stream.Position != end)   // without an optimizer the momentum buffers stay unread
                        throw new InvalidDataException($"{end - stream.Position:N0} unread bytes after the momentum buffers");
                }
                catch (Exception e) when (InputFile.IsMalformedInput(e))
                {
                    Restore(model, backup);
                    throw InputFile.Invalid(path, $"{e.Message}; the checkpoint does not match model {state.Config.Model} or is damaged", e);
                }
                finally
                {
                    foreach (var t in backup.Values) t.Dispose();
                }
                return state;
            }
        });

    /// <summary>A copy of the model's state, to put back if loading fails half-way.</summary>
    static Dictionary<string, Tensor> Snapshot(nn.Module model)
    {
        using var _ = no_grad();
        return model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
    }

    static void Restore(nn.Module model, Dictionary<string, Tensor> backup)
    {
        using var _ = no_grad();
        foreach (var (name, t) in model.state_dict())
            if (backup.TryGetValue(name, out var saved)) t.copy_(saved);
    }

    /// <summary>Opens the file, checks its magic and (format 2) its CRC-32; <paramref name="end"/> is where the payload ends.</summary>
    static Stream OpenChecked(string path, out BinaryReader reader, out long end)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint {path} does not exist", path);
        var stream = File.OpenRead(path);
        reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            var magic = reader.ReadString();
            if (magic != Magic && magic != MagicV1) throw new InvalidDataException("wrong magic");
            end = stream.Length;
            if (magic == Magic)
            {
                end = stream.Length - sizeof(uint);
                if (end < stream.Position) throw new EndOfStreamException();
                stream.Position = end;
                var stored = reader.ReadUInt32();
                stream.Position = 0;
                var actual = Crc32Of(stream, end);
                if (actual != stored)
                    throw InputFile.Invalid(path, $"damaged checkpoint: CRC-32 {actual:x8}, the file says {stored:x8} (truncated or changed since it was written)");
                stream.Position = 0;
                reader.ReadString();
            }
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or IOException or FormatException && InputFile.PathOf(e) is null)
        {
            reader.Dispose();
            stream.Dispose();
            throw InputFile.Invalid(path, $"not a ResNetLab checkpoint ({e.Message})", e);
        }
        catch
        {
            reader.Dispose();
            stream.Dispose();
            throw;
        }
        return stream;
    }

    static uint Crc32Of(Stream stream, long length)
    {
        var buffer = new byte[1 << 16];
        uint crc = 0;
        for (long done = 0; done < length;)
        {
            var n = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, length - done));
            if (n == 0) throw new EndOfStreamException();
            crc = Models.Interop.Crc32.Compute(buffer.AsSpan(0, n), crc);
            done += n;
        }
        return crc;
    }

    static CheckpointState ReadStateFrom(BinaryReader reader, string path)
    {
        try
        {
            var state = JsonSerializer.Deserialize<CheckpointState>(reader.ReadString(), RunJson.Options)
                        ?? throw new InvalidDataException("empty state");
            if (state.Config is null || state.Metrics is null || state.Interval is null || state.Normalization is null || state.Warmup is null)
                throw new InvalidDataException("the state lacks a required part");
            if (state.Iteration < 0 || state.Metrics.Any(m => m is null)) throw new InvalidDataException("the state is out of range");
            if (state.Config.Hash != state.ConfigHash)
                throw new InvalidDataException($"its config hashes to {state.Config.Hash}, but the file says {state.ConfigHash}");
            if (string.IsNullOrEmpty(state.CpuRngState)) throw new InvalidDataException("no generator state");
            Convert.FromBase64String(state.CpuRngState);   // its length is checked against libtorch's in Load: ReadState must not start torch
            return state;
        }
        catch (Exception e) when (InputFile.IsMalformedInput(e) && InputFile.PathOf(e) is null)
        {
            throw InputFile.Invalid(path, $"damaged checkpoint state ({e.Message})", e);
        }
    }

    /// <summary>Passes writes through while computing their CRC-32 (the checkpoint's trailer).</summary>
    sealed class Crc32Stream(Stream inner) : Stream
    {
        public uint Crc { get; private set; }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Crc = Models.Interop.Crc32.Compute(buffer, Crc);
            inner.Write(buffer);
        }
    }
}
