namespace ResNetLab.Runtime;

/// <summary>Small statistics the analyses, the bench and the training estimate share.</summary>
internal static class Stats
{
    /// <summary>The median of <paramref name="values"/> (mean of the middle two for an even count); NaN when there are none.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length == 0 ? double.NaN : v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }
}
