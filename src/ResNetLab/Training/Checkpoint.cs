using System.Text;
using System.Text.Json;
using ResNetLab.Data;
using static TorchSharp.torch;

namespace ResNetLab.Training;

/// <summary>Everything but tensors that a resumed run needs to continue exactly where it stopped.</summary>
public sealed record CheckpointState
{
    /// <summary>The config the run was started with; a resume under another config is refused.</summary>
    public required RunConfig Config { get; init; }
    /// <summary><see cref="RunConfig.Hash"/> of that config.</summary>
    public required string ConfigHash { get; init; }

    /// <summary>Iterations completed; training resumes at this (0-based) iteration.</summary>
    public required int Iteration { get; init; }
    /// <summary>Where the warm-up stood, so a resumed run switches at the same iteration.</summary>
    public required WarmupState Warmup { get; init; }

    /// <summary>Training loss/error sums since the last evaluation (a checkpoint may fall between evaluations).</summary>
    public required IntervalTotals Interval { get; init; }
    /// <summary>Every metrics row so far (the rows after the checkpoint were lost with the stopped process).</summary>
    public required List<MetricsRow> Metrics { get; init; }
    /// <summary>Training and evaluation seconds over all sessions up to the checkpoint.</summary>
    public required double ElapsedSeconds { get; init; }
    /// <summary>The normalisation the run trains with (the paper's mean is computed once, from its training images).</summary>
    public required Normalization Normalization { get; init; }

    /// <summary>The default CPU generator's state (base64), for any randomness inside the model.</summary>
    public required string CpuRngState { get; init; }
}

/// <summary>Running sums of the training batches since the last evaluation.</summary>
public sealed record IntervalTotals(double LossSum, long Errors, long Images, int Batches)
{
    /// <summary>No batches yet (the start of an interval).</summary>
    public static IntervalTotals Empty { get; } = new(0, 0, 0, 0);
    /// <summary>The totals with one more batch counted.</summary>
    public IntervalTotals Add(double batchLoss, long errors, long images) => new(LossSum + batchLoss, Errors + errors, Images + images, Batches + 1);
    /// <summary>Mean batch loss over the interval; NaN before the first batch.</summary>
    public double MeanLoss => Batches == 0 ? double.NaN : LossSum / Batches;
    /// <summary>Top-1 training error over the interval's images; NaN before the first batch.</summary>
    public double ErrorRate => Images == 0 ? double.NaN : (double)Errors / Images;
}

/// <summary>
/// checkpoint.bin: magic, JSON state, model state_dict (TorchSharp format, BN statistics included), momentum buffers.
/// Written to a temporary file and renamed, so a kill mid-write leaves the previous checkpoint intact.
/// </summary>
public static class Checkpoint
{
    const string Magic = "RESNETLAB-CKPT-1";

    /// <summary>Write state, weights and momentum to <paramref name="path"/> atomically: a kill mid-write leaves the previous checkpoint.</summary>
    public static void Save(string path, CheckpointState state, nn.Module model, MomentumSgd optimizer) =>
        Runs.WriteAtomically(path, stream =>
        {
            using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            writer.Write(Magic);
            writer.Write(JsonSerializer.Serialize(state, RunJson.Options));
            model.save(writer);
            optimizer.Save(writer);
        });

    /// <summary>Read only the JSON state (cheap: no tensors are loaded).</summary>
    public static CheckpointState ReadState(string path)
    {
        using var stream = OpenChecked(path, out var reader);
        using (reader) return ReadStateFrom(reader, path);
    }

    /// <summary>Load weights (and momentum buffers when an optimizer is given) into existing objects; returns the state.</summary>
    public static CheckpointState Load(string path, nn.Module model, MomentumSgd? optimizer)
    {
        using var stream = OpenChecked(path, out var reader);
        using (reader)
        {
            var state = ReadStateFrom(reader, path);
            try
            {
                model.load(reader, strict: true);
                optimizer?.Load(reader);
            }
            catch (Exception e) when (e is ArgumentException or EndOfStreamException or InvalidDataException)
            {
                throw new InvalidDataException($"{path}: {e.Message}; the checkpoint does not match model {state.Config.Model} or is damaged", e);
            }
            return state;
        }
    }

    static Stream OpenChecked(string path, out BinaryReader reader)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint {path} does not exist", path);
        var stream = File.OpenRead(path);
        reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            if (reader.ReadString() != Magic) throw new InvalidDataException("wrong magic");
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or IOException)
        {
            reader.Dispose();
            stream.Dispose();
            throw new InvalidDataException($"{path} is not a ResNetLab checkpoint ({e.Message})", e);
        }
        return stream;
    }

    static CheckpointState ReadStateFrom(BinaryReader reader, string path)
    {
        try
        {
            return JsonSerializer.Deserialize<CheckpointState>(reader.ReadString(), RunJson.Options)
                   ?? throw new InvalidDataException("empty state");
        }
        catch (Exception e) when (e is JsonException or EndOfStreamException)
        {
            throw new InvalidDataException($"{path}: damaged checkpoint state ({e.Message})", e);
        }
    }

    /// <summary>The CPU generator's state (base64), so a resumed run draws the same random numbers.</summary>
    public static string RngState()
    {
        using var state = random.get_rng_state();
        return Convert.ToBase64String(state.bytes.ToArray());
    }

    /// <summary>Restore a state from <see cref="RngState"/>.</summary>
    public static void RestoreRng(string base64)
    {
        var bytes = Convert.FromBase64String(base64);
        using var state = tensor(bytes, ScalarType.Byte);
        random.set_rng_state(state);
    }
}
