using ResNetLab.Runtime;

namespace ResNetLab.Notebooks;

/// <summary>The notebooks' entry point: one call in the setup cell.</summary>
public static class Lab
{
    public static RuntimeInfo Setup() => TorchRuntime.Initialize();
}
