using System.Security.Cryptography;
using System.Text;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNetLab.Models;

/// <summary>
/// The structure of a module the registry does not know (a notebook's own net): every submodule's path and class name,
/// every parameter's and buffer's name and shape. Its hash is part of such a run's identity, so editing the module's
/// layers, widths or block classes trains a new run; an edit to <c>forward</c> alone keeps it (rename the class or the run).
/// </summary>
public static class ModuleStructure
{
    /// <summary>One line per submodule (path: class) and per parameter and buffer (name shape), in registration order.</summary>
    public static IReadOnlyList<string> Describe(nn.Module module) =>
    [
        .. module.named_modules().Select(m => $"{(m.name.Length == 0 ? "." : m.name)}: {m.module.GetType().Name}"),
        .. module.named_parameters().Select(p => $"{p.name} {string.Join("×", p.parameter.shape)}"),
        .. module.named_buffers().Select(b => $"{b.name} {string.Join("×", b.buffer.shape)} (buffer)"),
    ];

    /// <summary>Short SHA-256 of <see cref="Describe"/>: 16 hex digits.</summary>
    public static string Hash(nn.Module module) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", Describe(module)))))[..16];
}

/// <summary>The paper's initialisation, for the library's nets and for any module a notebook builds.</summary>
public static class Initialization
{
    /// <summary>
    /// Kaiming-normal convs (fan_out, ReLU gain, as torchvision; paper [12]), BN γ=1 β=0, in module order; linear layers
    /// keep torch's default. A module that builds the same layers in the same order as a library net and calls this gets,
    /// for the same seed, the library net's initial weights.
    /// </summary>
    public static void Paper(nn.Module module)
    {
        using var _ = no_grad();
        foreach (var m in module.modules())
        {
            switch (m)
            {
                case Conv2d conv:
                    nn.init.kaiming_normal_(conv.weight!, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
                    break;
                case BatchNorm2d bn:
                    nn.init.ones_(bn.weight!);
                    nn.init.zeros_(bn.bias!);
                    break;
            }
        }
    }
}
