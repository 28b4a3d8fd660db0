using ResNetLab.Models;
using ResNetLab.Models.Interop;
using static TorchSharp.torch;

namespace ResNetLab.Training;

/// <summary>
/// The weights of a run at a few iterations, kept beside its checkpoint so analyses over training time (gradient flow
/// per layer and iteration, notebook 08) read stored states instead of retraining. The iterations are spaced 1-2-5 per
/// decade from initialisation, plus the learning-rate decays and the end: what changes fast early is sampled densely,
/// and a full run keeps ~19 files, not one per evaluation (ResNet-110: 6.9 MB each).
/// </summary>
public static class Snapshots
{
    /// <summary>The folder under a run folder that holds them.</summary>
    public const string FolderName = "snapshots";

    /// <summary>
    /// The iterations snapshotted for a schedule: 0 (the initial weights), 1, 2, 5, 10, 20, 50, … below the end, every
    /// milestone (the learning-rate decays) and the last iteration. Sorted, distinct.
    /// </summary>
    public static IReadOnlyList<int> Iterations(TrainingRecipe recipe)
    {
        var set = new SortedSet<int> { 0, recipe.Iterations };
        for (long decade = 1; decade < recipe.Iterations; decade *= 10)
            foreach (var m in new[] { 1, 2, 5 })
                if (decade * m < recipe.Iterations) set.Add((int)(decade * m));
        foreach (var m in recipe.Milestones) if (m > 0 && m < recipe.Iterations) set.Add(m);
        return [.. set];
    }

    /// <summary>The file of the snapshot after <paramref name="iteration"/> iterations: iter-000100.safetensors.</summary>
    public static string FileName(int iteration) => $"iter-{iteration:D6}.safetensors";

    /// <summary>Write the model's weights and buffers (float32 masters, PyTorch names) as safetensors, atomically.</summary>
    public static void Save(string path, nn.Module model, int iteration)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var metadata = new Dictionary<string, string> { ["iteration"] = iteration.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (model is ResNetModel net) net.SaveSafeTensors(path, metadata);
        else SafeTensors.Write(path, PyTorchWeights.StateDict(model), metadata);
    }

    /// <summary>
    /// Whether a run folder keeps its weight snapshots (it has the initial one). Runs trained before version 0.4 keep
    /// none; analyses over training time (notebooks 08 and 09) retrain such a run — same config, same seed — instead.
    /// </summary>
    public static bool Kept(string runFolder) => File.Exists(System.IO.Path.Combine(runFolder, FolderName, FileName(0)));

    /// <summary>
    /// A finished run that kept no snapshots (trained before version 0.4): what the run layer, notebooks, report plans
    /// and sweeps retrain when the analysis reads snapshots.
    /// </summary>
    public static bool MissingFrom(RunRecord? record, string runFolder) => record is { Status: RunStatus.Finished } && !Kept(runFolder);

    /// <summary>Why a finished run is retrained for an analysis of its snapshots (shown by notebooks and sweeps).</summary>
    public const string MissingReason = "finished before version 0.4, it kept no weight snapshots, which this analysis reads: retraining it (same config and seed)";

    /// <summary>The snapshots present in a run folder, by iteration (files that do not parse as iter-N are ignored).</summary>
    public static IReadOnlyList<(int Iteration, string Path)> List(string runFolder)
    {
        var dir = System.IO.Path.Combine(runFolder, FolderName);
        if (!Directory.Exists(dir)) return [];
        return Directory.EnumerateFiles(dir, "iter-*.safetensors")
            .Select(p => (Ok: int.TryParse(System.IO.Path.GetFileNameWithoutExtension(p)["iter-".Length..], out var i), Iteration: i, Path: p))
            .Where(s => s.Ok).OrderBy(s => s.Iteration).Select(s => (s.Iteration, s.Path)).ToList();
    }

    /// <summary>Load the snapshot at <paramref name="path"/> into a model of the run's spec (names and shapes checked).</summary>
    public static void Load(string path, ResNetModel model)
    {
        var tensors = SafeTensors.Read(path);
        try { PyTorchWeights.Load(model, tensors, path); }
        finally { foreach (var t in tensors.Values) t.Dispose(); }
    }
}
