using ResNetLab.Training;

namespace ResNetLab.Tests.Training;

/// <summary>`resnet bench --profile` reads oneDNN's verbose output of both engines (real lines, both formats).</summary>
public class KernelProfileTests
{
    // oneDNN 3.7 (TorchSharp's libtorch) and 2.6 (Debian's PyTorch 1.13) lines as they were printed on this machine.
    const string V3Info = "onednn_verbose,v1,info,oneDNN v3.7.1 (commit 8d263e693366ef8db40acc569cc7d8edf644556d)";
    const string V3Fwd = "onednn_verbose,v1,primitive,exec,cpu,convolution,brg_conv_fwd:avx512_core_bf16,forward_training,src:bf16::blocked:acdb::f0 wei:bf16:a:blocked:AcdB16a2b::f0 bia:undef::undef::: dst:bf16::blocked:acdb::f0,attr-scratchpad:user,alg:convolution_direct,mb128_ic16oc16_ih32oh32kh3sh1dh0ph1_iw32ow32kw3sw1dw0pw1,2.5";
    const string V3Reorder = "onednn_verbose,v1,primitive,exec,cpu,reorder,jit:uni,undef,src:bf16::blocked:acdb::f0 dst:bf16:p:blocked:AcdB16a2b::f0,attr-scratchpad:user,,16x3x3x3,0.25";
    const string V2Info = "onednn_verbose,info,oneDNN v2.6.3 (commit N/A)";
    const string V2Fwd = "onednn_verbose,exec,cpu,convolution,brgconv:avx512_core_bf16,forward_training,src_bf16::blocked:acdb:f0 wei_bf16::blocked:AcdB16a2b:f0 bia_undef::undef::f0 dst_bf16::blocked:acdb:f0,attr-scratchpad:user ,alg:convolution_direct,mb128_ic16oc16_ih32oh32kh3sh1dh0ph1_iw32ow32kw3sw1dw0pw1,10.25";

    [Fact]
    public void Kernels_between_the_markers_are_grouped_per_step_and_warm_up_is_left_out()
    {
        string[] lines = [V3Info, V3Fwd, V3Fwd, KernelProfile.StartMarker, V3Fwd, V3Reorder, V3Fwd, V3Reorder, "not a verbose line", KernelProfile.EndMarker, V3Fwd, "{ \"json\": 1 }"];
        var rows = KernelProfile.Aggregate(lines, steps: 2, out var version);
        Assert.Equal("v3.7.1", version);
        Assert.Equal(2, rows.Count);
        var conv = rows[0];
        Assert.Equal(("convolution", "forward_training", "brg_conv_fwd:avx512_core_bf16"), (conv.Primitive, conv.Pass, conv.Implementations));
        Assert.Equal((1.0, 2.5), (conv.CallsPerStep, conv.MsPerStep));
        Assert.Equal(("reorder", "-", 1.0, 0.25), (rows[1].Primitive, rows[1].Pass, rows[1].CallsPerStep, rows[1].MsPerStep));
    }

    [Fact]
    public void The_older_format_of_PyTorch_1_13_parses_too()
    {
        var rows = KernelProfile.Aggregate([V2Info, KernelProfile.StartMarker, V2Fwd, V2Fwd, V2Fwd, KernelProfile.EndMarker], steps: 3, out var version);
        Assert.Equal("v2.6.3", version);
        var conv = Assert.Single(rows);
        Assert.Equal(("convolution", "forward_training", "brgconv:avx512_core_bf16", 1.0, 10.25), (conv.Primitive, conv.Pass, conv.Implementations, conv.CallsPerStep, conv.MsPerStep));
        var profile = new EngineProfile("PyTorch", "bf16", version, StepMs: 15, rows);
        Assert.Equal((10.25, 4.75), (profile.KernelMs, profile.OtherMs));
    }

    [Fact]
    public void No_markers_means_no_kernels_and_a_nonpositive_step_count_is_an_error()
    {
        Assert.Empty(KernelProfile.Aggregate([V3Fwd, V3Fwd], steps: 1, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelProfile.Aggregate([], steps: 0, out _));
    }

    [Fact]
    public void A_training_step_of_ResNet20_is_three_forward_passes_of_41M_multiply_adds()
    {
        // Table 6 / §4.2: ResNet-20 is ≈41M multiply-adds per 32×32 image; ×2 flop, ×3 (forward + two backward products), ×128.
        Assert.InRange(KernelProfile.TrainStepGflop("resnet20", 128), 3 * 2 * 40e6 * 128 / 1e9, 3 * 2 * 42e6 * 128 / 1e9);
    }
}
