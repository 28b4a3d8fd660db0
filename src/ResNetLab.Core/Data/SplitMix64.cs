namespace ResNetLab.Data;

/// <summary>
/// A tiny counter-based generator (SplitMix64, Steele et al. 2014) for host-side choices — splits, subsets, epoch
/// order. Unlike System.Random its sequence is fixed by this code, so a seed means the same data on every platform.
/// </summary>
public struct SplitMix64(ulong state)
{
    ulong state = state;

    /// <summary>A stream derived from a seed and any number of labels (e.g. seed, "epoch", 7), independent per label set.</summary>
    public static SplitMix64 For(long seed, params long[] labels)
    {
        var s = Mix((ulong)seed ^ 0x5DEECE66DUL);
        foreach (var l in labels) s = Mix(s ^ Mix((ulong)l + 0x9E3779B97F4A7C15UL));
        return new SplitMix64(s);
    }

    /// <summary>SplitMix64's finaliser: a well-mixed 64-bit value from any input, the building block of seeded batch order.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next value of the sequence.</summary>
    public ulong Next() => Mix(state += 0x9E3779B97F4A7C15UL);

    /// <summary>Uniform in [0, n) (Lemire's multiply-shift; the bias is below 2⁻³² for the sizes used here).</summary>
    public int NextInt(int n) => (int)((UInt128)Next() * (ulong)n >> 64);

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>A seeded permutation of 0..n-1.</summary>
    public int[] Permutation(int n)
    {
        var p = new int[n];
        for (var i = 0; i < n; i++) p[i] = i;
        Shuffle(p.AsSpan());
        return p;
    }
}
