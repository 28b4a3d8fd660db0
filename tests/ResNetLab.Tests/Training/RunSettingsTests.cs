using ResNetLab.Models;
using ResNetLab.Runtime;
using ResNetLab.Training;

namespace ResNetLab.Tests.Training;

/// <summary>One rule resolves budget, precision, data and runs for train, sweep, reports and the notebooks.</summary>
public class RunSettingsTests
{
    static Func<string, string?> Env(params (string Name, string Value)[] vars) =>
        name => vars.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void What_is_given_wins_then_the_environment_then_the_machine()
    {
        var dir = TestPaths.TempDir("settings");
        var env = Env(("RESNET_BUDGET", "smoke"), ("RESNET_PRECISION", "bf16"), ("RESNET_DATA", Path.Combine(dir, "envdata")), ("RESNET_RUNS", Path.Combine(dir, "envruns")));

        var fromEnv = RunSettings.Resolve(new SettingsRequest(Device: DeviceChoice.Cpu), env);
        Assert.Equal(Budget.Smoke, fromEnv.Budget);
        Assert.Equal(Precision.Bf16, fromEnv.Precision);
        Assert.Equal(Path.Combine(dir, "envdata", "cifar-10-batches-bin"), fromEnv.DataDir);
        Assert.Equal("RESNET_DATA", fromEnv.DataFrom);
        Assert.Equal(Path.Combine(dir, "envruns"), fromEnv.RunsDir);

        var given = RunSettings.Resolve(new SettingsRequest("3200", "fp32", Path.Combine(dir, "mine"), Path.Combine(dir, "myruns"), Device: DeviceChoice.Cpu), env);
        Assert.Equal(3200, given.Budget.Iterations);
        Assert.Equal(Precision.Fp32, given.Precision);
        Assert.Equal("the given path", given.DataFrom);
        Assert.Equal(Path.Combine(dir, "myruns"), given.RunsDir);

        var defaults = RunSettings.Resolve(new SettingsRequest(Device: DeviceChoice.Cpu), Env());
        Assert.Equal(Budget.Quick, defaults.Budget);   // a CPU: quick (full where CUDA trains)
        Assert.Equal(Precision.Fp32, defaults.Precision);
        Assert.Equal(Path.Combine(TestPaths.Root, "runs"), defaults.RunsDir);
        Assert.Equal(Path.Combine(TestPaths.Root, "data", "cifar-10-batches-bin"), defaults.DataDir);
    }

    [Fact]
    public void A_notebook_kernel_given_a_reports_environment_resolves_the_same_settings()
    {
        var dir = TestPaths.TempDir("settings-env");
        var parent = RunSettings.Resolve(new SettingsRequest("smoke", "bf16", Path.Combine(dir, "d"), Path.Combine(dir, "r"), Device: DeviceChoice.Cpu), Env());
        var passed = parent.ToEnvironment();
        var child = RunSettings.Resolve(new SettingsRequest(Device: DeviceChoice.Cpu), name => passed.GetValueOrDefault(name));
        Assert.Equal((parent.Budget, parent.Precision, parent.DataDir, parent.RunsDir), (child.Budget, child.Precision, child.DataDir, child.RunsDir));
    }

    [Theory]
    [InlineData("smok", null, "budget", "smok")]
    [InlineData(null, "bf61", "precision", "bf61")]
    public void A_bad_value_names_its_setting_and_what_is_allowed(string? budget, string? precision, string setting, string shown)
    {
        var e = Assert.Throws<SettingException>(() => RunSettings.Resolve(new SettingsRequest(budget, precision, Device: DeviceChoice.Cpu), Env()));
        Assert.Equal(setting, e.Setting);
        Assert.Contains(shown, e.Message, StringComparison.Ordinal);
        // The environment's bad value is named the same way (the user set it once and forgot).
        var fromEnv = Assert.Throws<SettingException>(() => RunSettings.Resolve(new SettingsRequest(Device: DeviceChoice.Cpu),
            Env((setting == "budget" ? "RESNET_BUDGET" : "RESNET_PRECISION", shown))));
        Assert.Equal(setting, fromEnv.Setting);
        Assert.Null(e.Variable);
        Assert.StartsWith($"{fromEnv.Variable} (no --{setting} given): ", fromEnv.Describe($"--{setting}"), StringComparison.Ordinal);
    }

    [Fact]
    public void Zero_threads_is_refused_before_torch_starts()
    {
        var e = Assert.Throws<SettingException>(() => RunSettings.Resolve(new SettingsRequest(Threads: 0), Env()));
        Assert.Equal("threads", e.Setting);
    }
}
