using System.Buffers.Binary;
using System.Text;
using ResNetLab.Models;
using ResNetLab.Runtime;
using ResNetLab.Training;

namespace ResNetLab.Tests.Training;

/// <summary>
/// TensorBoard event files hold exactly metrics.csv: read back by the reader below (TFRecord framing with masked
/// CRC-32C, and the protobuf fields of tensorflow's Event/Summary), not by the SummaryWriter that wrote them.
/// </summary>
[Collection(GlobalRngCollection.Name)]
public class TensorBoardTests
{
    static readonly Budget Tiny = new("tiny", Iterations: 12, EvalEvery: 2, CheckpointEvery: 4, TrainImages: 512, EvalImages: 128, "tests");

    static ExperimentOptions Options(string runs, int? stopAfter = null) =>
        new() { RunsDir = runs, Device = DeviceChoice.Cpu, EvalBatchSize = 128, StopAfter = stopAfter };

    static RunConfig Config => new() { Model = "resnet8", Budget = Tiny, Warmup = true };

    [Fact]
    public void Event_files_hold_every_metrics_row_once_even_after_a_kill_and_resume()
    {
        var root = TestPaths.TempDir("tensorboard");
        try
        {
            TorchRuntime.Initialize(DeviceChoice.Cpu);
            // Killed after 7 iterations: rows 2, 4, 6 were logged, the last checkpoint is at 4; the resumed session
            // evaluates 6 again. Without the rebuild, step 6 would appear twice.
            var stopped = Experiment.RunOrLoad(Config, Options(root, stopAfter: 7));
            Assert.Equal(RunOutcome.Stopped, stopped.Outcome);
            Assert.Equal([2, 4, 6], Scalars(stopped.Folder).Where(s => s.Tag == "lr").Select(s => s.Step));

            var run = Experiment.RunOrLoad(Config, Options(root));
            Assert.Equal(RunOutcome.Resumed, run.Outcome);
            var scalars = Scalars(run.Folder);
            Assert.Equal(TensorBoardLog.Tags("test").Order(), scalars.Select(s => s.Tag).Distinct().Order());
            Assert.Equal(run.Metrics.Count * TensorBoardLog.Tags("test").Count, scalars.Count);   // nothing twice
            foreach (var row in run.Metrics)
            {
                float At(string tag) => scalars.Single(s => s.Tag == tag && s.Step == row.Iteration).Value;
                Assert.Equal((float)row.TrainLoss, At("train/loss"));
                Assert.Equal((float)row.TrainError, At("train/error"));
                Assert.Equal((float)row.TestLoss, At("test/loss"));
                Assert.Equal((float)row.TestError, At("test/error"));
                Assert.Equal((float)row.LearningRate, At("lr"));
                Assert.Equal((float)row.ImagesPerSecond, At("images_per_s"));
                var warming = run.Record.WarmupEndedAt is not { } end || row.Iteration <= end;
                Assert.Equal(warming ? 1f : 0f, At("warmup"));
            }
        }
        finally { Directory.Delete(root, true); }
    }

    public sealed record Scalar(string Tag, long Step, float Value);

    /// <summary>Every scalar in every event file of a folder.</summary>
    public static List<Scalar> Scalars(string folder) =>
        Directory.EnumerateFiles(folder, TensorBoardLog.FilePattern).SelectMany(f => ReadEvents(File.ReadAllBytes(f))).ToList();

    /// <summary>TFRecord: u64 length, u32 masked CRC-32C of the length, the record, u32 masked CRC-32C of the record.</summary>
    static IEnumerable<Scalar> ReadEvents(byte[] file)
    {
        var at = 0;
        var first = true;
        while (at < file.Length)
        {
            var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(at));
            Assert.Equal(MaskedCrc32C(file.AsSpan(at, 8)), BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + 8)));
            var record = file.AsSpan(at + 12, length).ToArray();
            Assert.Equal(MaskedCrc32C(record), BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + 12 + length)));
            at += 12 + length + 4;
            var (step, fileVersion, values) = ParseEvent(record);
            if (first) Assert.Equal("brain.Event:2", fileVersion);   // TensorBoard's marker of the format
            first = false;
            foreach (var (tag, value) in values) yield return new Scalar(tag, step, value);
        }
    }

    /// <summary>Event: 1 wall_time (double), 2 step (int64), 3 file_version (string), 5 summary (Summary: 1 value).</summary>
    static (long Step, string? FileVersion, List<(string Tag, float Value)> Values) ParseEvent(byte[] bytes)
    {
        long step = 0;
        string? version = null;
        var values = new List<(string, float)>();
        foreach (var (field, wire, varint, payload) in Fields(bytes))
        {
            if (field == 2 && wire == 0) step = (long)varint;
            else if (field == 3 && wire == 2) version = Encoding.UTF8.GetString(payload);
            else if (field == 5 && wire == 2)
                foreach (var (f, w, _, value) in Fields(payload))
                    if (f == 1 && w == 2) values.Add(ParseValue(value));
        }
        return (step, version, values);
    }

    /// <summary>Summary.Value: 1 tag (string), 2 simple_value (float).</summary>
    static (string Tag, float Value) ParseValue(byte[] bytes)
    {
        string tag = "";
        float value = float.NaN;
        foreach (var (field, wire, _, payload) in Fields(bytes))
        {
            if (field == 1 && wire == 2) tag = Encoding.UTF8.GetString(payload);
            else if (field == 2 && wire == 5) value = BinaryPrimitives.ReadSingleLittleEndian(payload);
        }
        return (tag, value);
    }

    static IEnumerable<(int Field, int Wire, ulong Varint, byte[] Payload)> Fields(byte[] bytes)
    {
        var at = 0;
        ulong Varint()
        {
            ulong v = 0;
            for (var shift = 0; ; shift += 7)
            {
                var b = bytes[at++];
                v |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80) return v;
            }
        }
        while (at < bytes.Length)
        {
            var key = Varint();
            var (field, wire) = ((int)(key >> 3), (int)(key & 7));
            switch (wire)
            {
                case 0: yield return (field, wire, Varint(), []); break;
                case 1: yield return (field, wire, 0, bytes[at..(at += 8)]); break;
                case 5: yield return (field, wire, 0, bytes[at..(at += 4)]); break;
                case 2:
                    var n = (int)Varint();
                    yield return (field, wire, 0, bytes[at..(at += n)]);
                    break;
                default: throw new InvalidDataException($"protobuf wire type {wire}");
            }
        }
    }

    static readonly uint[] Castagnoli = Enumerable.Range(0, 256).Select(i =>
    {
        var c = (uint)i;
        for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0x82F63B78u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    static uint MaskedCrc32C(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data) crc = Castagnoli[(crc ^ b) & 0xff] ^ (crc >> 8);
        crc ^= 0xFFFFFFFFu;
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
    }
}
