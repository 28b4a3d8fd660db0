using ResNetLab.Runtime;
using System.Text;
using static TorchSharp.torch;

namespace ResNetLab.Models.Interop;

/// <summary>
/// PyTorch weights in and out of the zoo's models. Loading accepts a bare state_dict or a checkpoint that nests it
/// under "state_dict" (or "model"/"model_state_dict"), keys prefixed with "module." (DataParallel), and either naming
/// convention (CIFAR reference `linear`/`shortcut`, torchvision `fc`/`downsample`). It is all-or-nothing: any
/// unmatched or mis-shaped key fails with one error listing them, before anything is copied.
/// </summary>
public static class PyTorchWeights
{
    static readonly string[] NestingKeys = ["state_dict", "model_state_dict", "model", "net"];

    /// <summary>Load the weights and BN statistics of a torch.save file into <paramref name="model"/>.</summary>
    public static void LoadPyTorch(this ResNetModel model, string path)
    {
        var stateDict = ReadStateDict(path);
        try
        {
            Load(model, stateDict, "its state_dict");
        }
        catch (InvalidDataException e)
        {
            throw InputFile.Invalid(path, e.Message, e);
        }
        finally
        {
            foreach (var t in stateDict.Values) t.Dispose();
        }
    }

    /// <summary>
    /// Write the model's state_dict as safetensors (PyTorch key names, BN running statistics included), which
    /// <c>model.load_state_dict(safetensors.torch.load_file(path))</c> reads; <paramref name="metadata"/> goes in the header.
    /// </summary>
    public static void SaveSafeTensors(this ResNetModel model, string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafeTensors.Write(path, StateDict(model), metadata);

    /// <summary>DataParallel saves every key as "module.…"; a file whose keys all carry it loads without it.</summary>
    static Dictionary<string, Tensor> StripModulePrefix(Dictionary<string, Tensor> dict) =>
        dict.Count > 0 && dict.Keys.All(k => k.StartsWith("module.", StringComparison.Ordinal))
            ? dict.ToDictionary(kv => kv.Key["module.".Length..], kv => kv.Value)
            : dict;

    /// <summary>Write the model's state_dict so that PyTorch's <c>model.load_state_dict(torch.load(path))</c> reads it.</summary>
    public static void SavePyTorch(this ResNetModel model, string path) => TorchFile.SaveStateDict(StateDict(model), path);

    /// <summary>
    /// The state_dict inside a torch.save file: unwrapped from a checkpoint dict and stripped of DataParallel's
    /// "module." prefix. The caller owns (disposes) the tensors.
    /// </summary>
    public static Dictionary<string, Tensor> ReadStateDict(string path)
    {
        if (SafeTensors.Looks(path)) return StripModulePrefix(SafeTensors.Read(path));
        var root = TorchFile.Load(path);
        var dict = root as OrderedDictionary<object, object?>
                   ?? throw Fail(root, $"holds a {Describe(root)}, not a state_dict");
        if (!dict.Values.Any(v => v is Tensor))
        {
            var nested = NestingKeys.Select(k => dict.TryGetValue(k, out var v) ? v : null)
                                    .OfType<OrderedDictionary<object, object?>>().FirstOrDefault();
            if (nested is null)
            {
                throw Fail(dict, $"is a dict without tensors and without a nested state_dict (keys: {string.Join(", ", dict.Keys)})");
            }
            var keep = new HashSet<object>(ReferenceEqualityComparer.Instance) { nested };
            foreach (var v in dict.Values) DisposeTensors(v, keep);
            dict = nested;
        }

        var result = new Dictionary<string, Tensor>();
        var notTensors = new List<string>();
        var allPrefixed = dict.Keys.All(k => k is string s && s.StartsWith("module."));
        foreach (var (k, v) in dict)
        {
            var key = k.ToString() ?? "";
            if (allPrefixed) key = key["module.".Length..];
            if (v is Tensor t) result[key] = t;
            else notTensors.Add(key);
        }
        if (notTensors.Count > 0)
        {
            foreach (var t in result.Values) t.Dispose();
            throw Fail(dict, $"state_dict entries that are not tensors: {string.Join(", ", notTensors)}");
        }
        return result;

        InvalidDataException Fail(object? loaded, string problem)
        {
            DisposeTensors(loaded, new HashSet<object>(ReferenceEqualityComparer.Instance));
            return InputFile.Invalid(path, problem);
        }
    }

    /// <summary>
    /// Copy a state_dict into the model, all or nothing. Keys may use either naming convention. Missing
    /// `num_batches_tracked` buffers are allowed (files from PyTorch &lt; 0.4.1 lack them; PyTorch allows it too).
    /// </summary>
    public static void Load(ResNetModel model, IReadOnlyDictionary<string, Tensor> stateDict, string source = "state_dict")
    {
        var target = model.state_dict();
        var mapped = new Dictionary<string, Tensor>();
        var unexpected = new List<string>();
        var misshaped = new List<string>();
        var duplicate = new List<string>();
        var nonFinite = new List<string>();
        foreach (var (key, tensor) in stateDict)
        {
            var name = Candidates(key).FirstOrDefault(target.ContainsKey);
            if (name is null) { unexpected.Add(key); continue; }
            if (!mapped.TryAdd(name, tensor)) { duplicate.Add(key); continue; }
            if (!tensor.shape.SequenceEqual(target[name].shape))
                misshaped.Add($"{key}: file [{string.Join(", ", tensor.shape)}], model [{string.Join(", ", target[name].shape)}]");
            else if (tensor.is_floating_point() && !AllFinite(tensor))
                nonFinite.Add(key);
        }
        var missing = target.Keys.Where(k => !mapped.ContainsKey(k) && !k.EndsWith(".num_batches_tracked")).ToList();

        if (unexpected.Count + missing.Count + misshaped.Count + duplicate.Count + nonFinite.Count > 0)
        {
            var message = new StringBuilder($"{source} does not fit {Describe(model)}; nothing was loaded.");
            Append(message, "unexpected keys", unexpected);
            Append(message, "missing keys", missing);
            Append(message, "shape mismatches", misshaped);
            Append(message, "keys mapping to the same parameter", duplicate);
            Append(message, "NaN or infinite values (a damaged file)", nonFinite);
            throw new InvalidDataException(message.ToString());
        }

        using var _ = no_grad();
        foreach (var (name, destination) in target)
        {
            if (mapped.TryGetValue(name, out var source_)) destination.copy_(source_);
            else destination.zero_();  // num_batches_tracked absent from an old file
        }
    }

    static bool AllFinite(Tensor t)
    {
        using var finite = t.isfinite();
        using var all = finite.all();
        return all.item<bool>();
    }

    /// <summary>The model's parameters and persistent buffers in PyTorch's order (module by module, own entries first).</summary>
    public static List<KeyValuePair<string, Tensor>> StateDict(nn.Module model)
    {
        var result = new List<KeyValuePair<string, Tensor>>();
        void Walk(nn.Module m, string prefix)
        {
            foreach (var (n, p) in m.named_parameters(recurse: false)) result.Add(new(prefix + n, p));
            foreach (var (n, b) in m.named_buffers(recurse: false, include_nonpersistent: false)) result.Add(new(prefix + n, b));
            foreach (var (n, child) in m.named_children()) Walk(child, $"{prefix}{n}.");
        }
        Walk(model, "");
        return result;
    }

    /// <summary>The key itself, then its spelling in the other convention (linear ↔ fc, shortcut ↔ downsample).</summary>
    static IEnumerable<string> Candidates(string key)
    {
        yield return key;
        var swapped = key.StartsWith("fc.") ? "linear." + key[3..]
                    : key.StartsWith("linear.") ? "fc." + key[7..]
                    : key;
        swapped = swapped.Contains(".downsample.") ? swapped.Replace(".downsample.", ".shortcut.")
                : swapped.Replace(".shortcut.", ".downsample.");
        if (swapped != key) yield return swapped;
    }

    static void Append(StringBuilder sb, string what, List<string> items)
    {
        if (items.Count == 0) return;
        sb.Append($"\n  {what} ({items.Count}): {string.Join(", ", items)}");
    }

    static string Describe(ResNetModel m) =>
        $"{m.Name} ({(m.Shortcut is { } o ? $"option {o}" : "plain")}, {m.NumClasses} classes)";

    static string Describe(object? o) => o switch
    {
        null => "None",
        Tensor => "single tensor",
        List<object?> => "list",
        object?[] => "tuple",
        PyObject p => p.Type.ToString(),
        _ => o.GetType().Name,
    };

    /// <summary>Dispose every tensor in a loaded graph; <paramref name="seen"/> guards against a list that contains itself.</summary>
    static void DisposeTensors(object? o, HashSet<object> seen)
    {
        if (o is null || !seen.Add(o)) return;
        switch (o)
        {
            case Tensor t: t.Dispose(); break;
            case OrderedDictionary<object, object?> d: foreach (var v in d.Values) DisposeTensors(v, seen); break;
            case List<object?> l: foreach (var v in l) DisposeTensors(v, seen); break;
            case object?[] a: foreach (var v in a) DisposeTensors(v, seen); break;
            case PyObject p: foreach (var v in p.Args) DisposeTensors(v, seen); DisposeTensors(p.State, seen); break;
        }
    }
}
