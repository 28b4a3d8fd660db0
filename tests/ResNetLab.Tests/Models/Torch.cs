using ResNetLab.Runtime;

namespace ResNetLab.Tests.Models;

/// <summary>Brings torch up once for the model tests (TorchRuntime must run before any Module is built).</summary>
public static class Torch
{
    public static void Up() => TorchRuntime.Initialize(DeviceChoice.Cpu);
}
