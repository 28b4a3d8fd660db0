using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using ResNetLab.Analysis;

namespace ResNetLab.Models;

/// <summary>
/// The registry (timm's create_model/list_models): every network the paper trains or tabulates by name.
/// Any other CIFAR depth is one call away: <see cref="CifarResNet.Residual"/>, <see cref="CifarResNet.Plain"/>.
/// </summary>
public static class Models
{
    /// <summary>A registered network. Build it with <see cref="Entry.Create"/>, which fills in the default shortcut.</summary>
    sealed record Entry(string Name, ModelFamily Family, BlockKind Block, bool Residual, Func<ModelOptions, ResNetModel> Build)
    {
        public ResNetModel Create(ModelOptions options) => Build(options with { Shortcut = options.Shortcut ?? DefaultShortcut });

        /// <summary>The paper's choice when none is asked for: A on CIFAR (§4.2), B on ImageNet (Table 2); none for plain nets.</summary>
        public ShortcutOption? DefaultShortcut => Residual ? Family == ModelFamily.Cifar ? ShortcutOption.A : ShortcutOption.B : null;
    }

    static readonly Entry[] Registry = [.. CifarEntries(), .. ImageNetEntries()];
    static readonly ConcurrentDictionary<(string, ShortcutOption?), ModelInfo> Measured = new();

    static IEnumerable<Entry> CifarEntries()
    {
        // §4.2 / Table 6: n = 3, 5, 7, 9, 18, 200 (basic blocks, 6n+2 layers), plain and residual.
        foreach (var n in new[] { 3, 5, 7, 9, 18, 200 })
        {
            var depth = CifarResNet.DepthOf(n, BlockKind.Basic);
            yield return new($"resnet{depth}", ModelFamily.Cifar, BlockKind.Basic, true,
                o => new CifarResNet(n, BlockKind.Basic, o.Shortcut, o.NumClasses ?? 10, o.ZeroInitResidual));
            yield return new($"plain{depth}", ModelFamily.Cifar, BlockKind.Basic, false,
                o => new CifarResNet(n, BlockKind.Basic, null, o.NumClasses ?? 10));
        }
        // ResNet-164: bottleneck CIFAR net (9n+2, n = 18) of the authors' follow-up (He et al. 2016, "Identity Mappings").
        yield return new("resnet164", ModelFamily.Cifar, BlockKind.Bottleneck, true,
            o => new CifarResNet(18, BlockKind.Bottleneck, o.Shortcut, o.NumClasses ?? 10, o.ZeroInitResidual));
    }

    static IEnumerable<Entry> ImageNetEntries()
    {
        // Table 1: blocks per stage conv2_x…conv5_x.
        (string Name, int[] Stages, BlockKind Block, bool Residual)[] table =
        [
            ("resnet18", [2, 2, 2, 2], BlockKind.Basic, true),
            ("resnet34", [3, 4, 6, 3], BlockKind.Basic, true),
            ("resnet50", [3, 4, 6, 3], BlockKind.Bottleneck, true),
            ("resnet101", [3, 4, 23, 3], BlockKind.Bottleneck, true),
            ("resnet152", [3, 8, 36, 3], BlockKind.Bottleneck, true),
            ("plain18", [2, 2, 2, 2], BlockKind.Basic, false),
            ("plain34", [3, 4, 6, 3], BlockKind.Basic, false),
        ];
        foreach (var (name, stages, block, residual) in table)
            yield return new(name, ModelFamily.ImageNet, block, residual,
                o => new ImageNetResNet(stages, block, o.Shortcut, o.NumClasses ?? 1000,
                                        o.ZeroInitResidual, o.StrideOn3x3, name));
    }

    /// <summary>Registered names matching a glob (<c>*</c>, <c>?</c>; case-insensitive), in registry order.</summary>
    public static IReadOnlyList<string> Names(string pattern = "*") =>
        Registry.Where(e => Matches(pattern, e.Name)).Select(e => e.Name).ToArray();

    /// <summary>The shortcut option a residual network gets when none is asked for (A on CIFAR, B on ImageNet — the
    /// paper's choices in §4.2 and Table 2); null for plain networks.</summary>
    public static ShortcutOption? DefaultShortcut(string name) => Find(name).DefaultShortcut;

    /// <summary>Build a registered network, e.g. <c>Models.Create("resnet56", shortcut: ShortcutOption.B, numClasses: 100)</c>.</summary>
    public static ResNetModel Create(string name, ShortcutOption? shortcut = null, int? numClasses = null,
                                     bool zeroInitResidual = false, bool strideOn3x3 = false) =>
        Create(name, new ModelOptions(shortcut, numClasses, zeroInitResidual, strideOn3x3));

    public static ResNetModel Create(string name, ModelOptions options)
    {
        var entry = Find(name);
        if (!entry.Residual && options.Shortcut is not null)
            throw new ArgumentException($"{entry.Name} is a plain network: it has no shortcuts, so no shortcut option applies");
        if (!entry.Residual && options.ZeroInitResidual)
            throw new ArgumentException($"{entry.Name} is a plain network: zero-init-residual needs residual branches");
        if (options.StrideOn3x3 && !(entry.Family == ModelFamily.ImageNet && entry.Block == BlockKind.Bottleneck))
            throw new ArgumentException($"strideOn3x3 (torchvision v1.5) applies to ImageNet bottleneck networks, not {entry.Name}");
        return entry.Create(options);
    }

    /// <summary>
    /// Every registered network matching <paramref name="pattern"/> with its parameters and multiply-adds, measured by
    /// tracing the real module at the paper's input size (cached per process).
    /// </summary>
    public static IReadOnlyList<ModelInfo> List(string pattern = "*", ShortcutOption? shortcut = null) =>
        Registry.Where(e => Matches(pattern, e.Name)).Select(e => Measure(e, e.Residual ? shortcut : null)).ToArray();

    static ModelInfo Measure(Entry entry, ShortcutOption? shortcut) =>
        Measured.GetOrAdd((entry.Name, shortcut), _ =>
        {
            using var model = entry.Create(new ModelOptions(shortcut));
            var report = Complexity.Measure(model, model.InputSize);
            return new ModelInfo(model.Name, model.Family, model.Depth, model.Block, model.Shortcut, model.IsResidual,
                                 model.NumClasses, model.InputSize, report.Parameters, report.MultiplyAdds);
        });

    static Entry Find(string name) =>
        Registry.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? ParseCifar(name)
        ?? throw new ArgumentException($"unknown model '{name}'; registered: {string.Join(", ", Registry.Select(e => e.Name))}; " +
                                       "any CIFAR depth also works as resnetD / plainD (D = 6n+2) or resnetD-bottleneck (D = 9n+2)");

    /// <summary>§4.2's "6n+2" at any n: resnet38, plain14; bottleneck CIFAR nets at any 9n+2: resnet29-bottleneck.</summary>
    static Entry? ParseCifar(string name)
    {
        var m = Regex.Match(name, @"^(resnet|plain)(\d+)(-bottleneck)?$", RegexOptions.IgnoreCase);
        if (!m.Success || !int.TryParse(m.Groups[2].Value, out var depth)) return null;
        var residual = m.Groups[1].Value.Equals("resnet", StringComparison.OrdinalIgnoreCase);
        var bottleneck = m.Groups[3].Success;
        var per = bottleneck ? 9 : 6;
        if (depth < per + 2 || (depth - 2) % per != 0 || (bottleneck && !residual)) return null;
        var n = (depth - 2) / per;
        var block = bottleneck ? BlockKind.Bottleneck : BlockKind.Basic;
        var canonical = $"{m.Groups[1].Value.ToLowerInvariant()}{depth}{(bottleneck ? "-bottleneck" : "")}";
        return residual
            ? new Entry(canonical, ModelFamily.Cifar, block, true, o => new CifarResNet(n, block, o.Shortcut, o.NumClasses ?? 10, o.ZeroInitResidual))
            : new Entry(canonical, ModelFamily.Cifar, block, false, o => new CifarResNet(n, block, null, o.NumClasses ?? 10));
    }

    static bool Matches(string pattern, string name) =>
        Regex.IsMatch(name, "^" + Regex.Escape(pattern).Replace(@"\*", ".*").Replace(@"\?", ".") + "$", RegexOptions.IgnoreCase);
}
