using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;

namespace ResNetLab.Models;

/// <summary>
/// The registry (timm's create_model/list_models): every network the paper trains or tabulates, by name, as a
/// <see cref="ModelSpec"/>. Any other CIFAR depth is a name away: resnetD / plainD (D = 6n+2), resnetD-bottleneck
/// (D = 9n+2). Names are parsed here and nowhere else.
/// </summary>
public static class ModelZoo
{
    static readonly ModelSpec[] Registry = [.. CifarSpecs(), .. ImageNetSpecs()];
    static readonly ConcurrentDictionary<(string, ShortcutOption?), ModelInfo> Measured = new();

    static IEnumerable<ModelSpec> CifarSpecs()
    {
        // §4.2 / Table 6: n = 3, 5, 7, 9, 18, 200 (basic blocks, 6n+2 layers), plain and residual.
        foreach (var n in new[] { 3, 5, 7, 9, 18, 200 })
        {
            yield return Cifar(n, BlockKind.Basic, residual: true);
            yield return Cifar(n, BlockKind.Basic, residual: false);
        }
        // ResNet-164: bottleneck CIFAR net (9n+2, n = 18) of the authors' follow-up (He et al. 2016, "Identity Mappings").
        yield return Cifar(18, BlockKind.Bottleneck, residual: true) with { Name = "resnet164" };
        // Pre-activation nets (He et al., "Identity Mappings in Deep Residual Networks", ECCV 2016, Tables 2–3).
        yield return Cifar(18, BlockKind.Basic, residual: true) with { Name = "preact-resnet110", PreActivation = true };
        yield return Cifar(18, BlockKind.Bottleneck, residual: true) with { Name = "preact-resnet164", PreActivation = true };
        yield return Cifar(111, BlockKind.Bottleneck, residual: true) with { Name = "preact-resnet1001", PreActivation = true };
    }

    static ModelSpec Cifar(int n, BlockKind block, bool residual)
    {
        var spec = new ModelSpec("", ModelFamily.Cifar, block, residual, [n, n, n]);
        return spec with { Name = $"{spec.Kind}{spec.Depth}" };
    }

    static IEnumerable<ModelSpec> ImageNetSpecs()
    {
        // Table 1: blocks per stage conv2_x…conv5_x.
        yield return new("resnet18", ModelFamily.ImageNet, BlockKind.Basic, true, [2, 2, 2, 2]);
        yield return new("resnet34", ModelFamily.ImageNet, BlockKind.Basic, true, [3, 4, 6, 3]);
        yield return new("resnet50", ModelFamily.ImageNet, BlockKind.Bottleneck, true, [3, 4, 6, 3]);
        yield return new("resnet101", ModelFamily.ImageNet, BlockKind.Bottleneck, true, [3, 4, 23, 3]);
        yield return new("resnet152", ModelFamily.ImageNet, BlockKind.Bottleneck, true, [3, 8, 36, 3]);
        yield return new("plain18", ModelFamily.ImageNet, BlockKind.Basic, false, [2, 2, 2, 2]);
        yield return new("plain34", ModelFamily.ImageNet, BlockKind.Basic, false, [3, 4, 6, 3]);
    }

    /// <summary>Registered names matching a glob (<c>*</c>, <c>?</c>; case-insensitive), in registry order.</summary>
    public static IReadOnlyList<string> Names(string pattern = "*") =>
        Registry.Where(e => Matches(pattern, e.Name)).Select(e => e.Name).ToArray();

    /// <summary>Registered specs matching a glob, in registry order.</summary>
    public static IReadOnlyList<ModelSpec> Specs(string pattern = "*") => Registry.Where(e => Matches(pattern, e.Name)).ToArray();

    /// <summary>The spec of <paramref name="name"/>, or null when it names no network (see <see cref="Spec"/>).</summary>
    public static ModelSpec? TrySpec(string? name) =>
        Registry.FirstOrDefault(e => string.Equals(e.Name, name?.Trim(), StringComparison.OrdinalIgnoreCase)) ?? ParseCifar(name ?? "");

    /// <summary>
    /// The spec of a registered network or of any CIFAR depth (resnet38, plain14, resnet29-bottleneck); an unknown
    /// name is an <see cref="ArgumentException"/> that lists what is known.
    /// </summary>
    public static ModelSpec Spec(string name) =>
        Registry.FirstOrDefault(e => string.Equals(e.Name, name?.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? ParseCifar(name ?? "")
        ?? throw new ArgumentException($"unknown model '{name}'; registered: {string.Join(", ", Registry.Select(e => e.Name))}; " +
                                       "any CIFAR depth also works as resnetD / plainD (D = 6n+2) or resnetD-bottleneck (D = 9n+2)");

    /// <summary>The plain network with the same layers as <paramref name="name"/> (§4.1: the twins differ only in shortcuts).</summary>
    public static ModelSpec PlainTwin(string name)
    {
        var spec = Spec(name);
        if (!spec.Residual) return spec;
        return Registry.FirstOrDefault(e => !e.Residual && e.Family == spec.Family && e.Block == spec.Block && e.BlocksPerStage.SequenceEqual(spec.BlocksPerStage))
               ?? (spec.Family == ModelFamily.Cifar && spec.Block == BlockKind.Basic ? Cifar(spec.BlocksPerStage[0], BlockKind.Basic, residual: false)
                   : throw new ArgumentException($"{spec.Name} has no plain twin in the registry"));
    }

    /// <summary>Build a network, e.g. <c>ModelZoo.Create("resnet56", shortcut: ShortcutOption.B, numClasses: 100)</c>.</summary>
    public static ResNetModel Create(string name, ShortcutOption? shortcut = null, int? numClasses = null,
                                     bool zeroInitResidual = false, bool strideOn3x3 = false) =>
        Create(name, new ModelOptions(shortcut, numClasses, zeroInitResidual, strideOn3x3));

    /// <summary>Build a network with every construction option in one record (see <see cref="ModelOptions"/>).</summary>
    public static ResNetModel Create(string name, ModelOptions options) => new(Spec(name), options);

    /// <summary>
    /// Every registered network matching <paramref name="pattern"/> with its parameters and multiply-adds, measured by
    /// tracing the real module at the paper's input size (cached per process).
    /// </summary>
    public static IReadOnlyList<ModelInfo> List(string pattern = "*", ShortcutOption? shortcut = null) =>
        Specs(pattern).Select(e => Measure(e, e.Residual ? shortcut : null)).ToArray();

    /// <summary>One network (registered or any CIFAR depth) measured as <see cref="List"/> does.</summary>
    public static ModelInfo Info(string name, ShortcutOption? shortcut = null)
    {
        var spec = Spec(name);
        return Measure(spec, spec.Residual ? shortcut : null);
    }

    static ModelInfo Measure(ModelSpec spec, ShortcutOption? shortcut) =>
        Measured.GetOrAdd((spec.Name, shortcut), _ =>
        {
            using var model = new ResNetModel(spec, new ModelOptions(shortcut));
            var report = Complexity.Measure(model, spec.InputSize);
            return new ModelInfo(spec.Name, spec.Family, spec.Depth, spec.Block, model.Shortcut, spec.Residual,
                                 model.NumClasses, spec.InputSize, report.Parameters, report.MultiplyAdds);
        });

    /// <summary>§4.2's "6n+2" at any n: resnet38, plain14; bottleneck CIFAR nets at any 9n+2: resnet29-bottleneck.</summary>
    static ModelSpec? ParseCifar(string name)
    {
        var m = Regex.Match(name.Trim(), @"^(resnet|plain)(\d+)(-bottleneck)?$", RegexOptions.IgnoreCase);
        if (!m.Success || !int.TryParse(m.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var depth)) return null;
        var residual = m.Groups[1].Value.Equals("resnet", StringComparison.OrdinalIgnoreCase);
        var bottleneck = m.Groups[3].Success;
        var per = bottleneck ? 9 : 6;
        if (depth < per + 2 || (depth - 2) % per != 0 || (bottleneck && !residual)) return null;
        var spec = Cifar((depth - 2) / per, bottleneck ? BlockKind.Bottleneck : BlockKind.Basic, residual);
        return bottleneck ? spec with { Name = spec.Name + "-bottleneck" } : spec;
    }

    static bool Matches(string pattern, string name) =>
        Regex.IsMatch(name, "^" + Regex.Escape(pattern).Replace(@"\*", ".*").Replace(@"\?", ".") + "$", RegexOptions.IgnoreCase);
}
