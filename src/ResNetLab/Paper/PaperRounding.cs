namespace ResNetLab.Paper;

/// <summary>How the paper's one-decimal figures relate to exact values.</summary>
public static class PaperRounding
{
    /// <summary>
    /// Table 1 prints multiply-adds to one decimal, but not by one rule: measured ResNet-34 (3.66) and -50 (3.86) are
    /// cut to 3.6/3.8 while ResNet-101 (7.57) is rounded up to 7.6. A value matches if either rule gives the figure.
    /// </summary>
    public static bool Matches(double exact, double printed, int decimals = 1)
    {
        var scale = Math.Pow(10, decimals);
        var rounded = Math.Round(exact * scale, MidpointRounding.AwayFromZero) / scale;
        var truncated = Math.Floor(exact * scale) / scale;
        return Math.Abs(rounded - printed) < 1e-9 || Math.Abs(truncated - printed) < 1e-9;
    }
}
