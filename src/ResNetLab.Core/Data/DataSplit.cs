namespace ResNetLab.Data;

/// <summary>
/// Which images train and which evaluate (§4.2): the paper picks its schedule on a 45k/5k train/validation split
/// of the training set, and reports test error after training on all 50k.
/// </summary>
public enum DataSplit
{
    /// <summary>Train on all 50k training images, evaluate on the 10k test images (final numbers).</summary>
    Full,

    /// <summary>Train on 45k, evaluate on 5k held out of the training set (stratified, chosen by the seed).</summary>
    Validation,
}

/// <summary>The images of one run: training and evaluation sets as raw bytes (N×3×32×32) with labels.</summary>
public sealed record CifarSplit(
    DataSplit Split,
    byte[] TrainImages,
    byte[] TrainLabels,
    byte[] EvalImages,
    byte[] EvalLabels,
    string EvalName)
{
    /// <summary>Images held out for validation (§4.2: "45k/5k train/val split").</summary>
    public const int ValidationImages = 5_000;

    /// <summary>Training images of the split (50,000 or 45,000).</summary>
    public int TrainCount => TrainLabels.Length;
    /// <summary>Evaluation images of the split (10,000 test or 5,000 validation).</summary>
    public int EvalCount => EvalLabels.Length;

    /// <summary>E.g. "train 45,000 / validation 5,000 (seed 0)" — what run records and charts show.</summary>
    public string Description { get; init; } = "";

    /// <summary>full/test or val/validation (case-insensitive); null or empty is full.</summary>
    public static DataSplit ParseSplit(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" or "full" or "test" => DataSplit.Full,
        "val" or "validation" => DataSplit.Validation,
        _ => throw new ArgumentException($"split '{text}' is not one of: full (50k train / 10k test), val (45k train / 5k validation)"),
    };

    /// <summary>
    /// Build a split. <paramref name="trainLimit"/> keeps a seeded random subset of the training images (budgets);
    /// <paramref name="evalLimit"/> keeps the first images of the evaluation set, the same ones for every seed.
    /// </summary>
    public static CifarSplit Make(CifarData data, DataSplit split, long seed, int? trainLimit = null, int? evalLimit = null)
    {
        int[] train, eval;
        byte[] evalSourceImages, evalSourceLabels;
        if (split == DataSplit.Full)
        {
            train = Enumerable.Range(0, data.TrainCount).ToArray();
            eval = Enumerable.Range(0, data.TestCount).ToArray();
            (evalSourceImages, evalSourceLabels) = (data.TestImages, data.TestLabels);
        }
        else
        {
            eval = StratifiedHoldout(data.TrainLabels, data.Format.Classes, ValidationImages, seed);
            var held = new bool[data.TrainCount];
            foreach (var i in eval) held[i] = true;
            train = Enumerable.Range(0, data.TrainCount).Where(i => !held[i]).ToArray();
            (evalSourceImages, evalSourceLabels) = (data.TrainImages, data.TrainLabels);
        }
        if (trainLimit is { } t && t < train.Length)
        {
            if (t < 1) throw new ArgumentOutOfRangeException(nameof(trainLimit), t, "a training subset needs at least one image");
            var pick = train.ToArray();
            SplitMix64.For(seed, 0x5B5E7).Shuffle(pick.AsSpan());
            train = pick[..t];
            Array.Sort(train);
        }
        if (evalLimit is { } e && e < eval.Length) eval = eval[..Math.Max(1, e)];

        var evalName = split == DataSplit.Full ? "test" : "validation";
        return new CifarSplit(split, Gather(data.TrainImages, train), Gather(data.TrainLabels, train, 1),
                              Gather(evalSourceImages, eval), Gather(evalSourceLabels, eval, 1), evalName)
        {
            Description = $"train {train.Length:N0} / {evalName} {eval.Length:N0}" + (split == DataSplit.Validation ? $" (held out by seed {seed})" : ""),
        };
    }

    /// <summary>The same number of images of every class (sorted indices), chosen by the seed.</summary>
    public static int[] StratifiedHoldout(byte[] labels, int classes, int count, long seed)
    {
        if (count % classes != 0) throw new ArgumentException($"a stratified hold-out of {count} images needs a multiple of {classes}");
        var perClass = count / classes;
        var chosen = new List<int>(count);
        for (var c = 0; c < classes; c++)
        {
            var members = Enumerable.Range(0, labels.Length).Where(i => labels[i] == c).ToArray();
            if (members.Length < perClass) throw new InvalidDataException($"class {c} has only {members.Length} training images; {perClass} needed for validation");
            SplitMix64.For(seed, 0xA1, c).Shuffle(members.AsSpan());
            chosen.AddRange(members[..perClass]);
        }
        chosen.Sort();
        return chosen.ToArray();
    }

    static byte[] Gather(byte[] source, int[] indices, int width = CifarFormat.ImageBytes)
    {
        var result = new byte[(long)indices.Length * width];
        for (var k = 0; k < indices.Length; k++)
            source.AsSpan(indices[k] * width, width).CopyTo(result.AsSpan(k * width, width));
        return result;
    }
}
