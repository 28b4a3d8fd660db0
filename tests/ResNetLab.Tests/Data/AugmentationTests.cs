using ResNetLab.Data;
using ResNetLab.Runtime;
using static TorchSharp.torch;
using static ResNetLab.Tests.TensorAssert;

namespace ResNetLab.Tests.Data;

public class AugmentationTests
{
    public AugmentationTests() => TorchRuntime.Initialize(DeviceChoice.Cpu);

    /// <summary>§4.2 done the obvious way on one image: zero-pad 4, take the 32×32 window at (top, left), maybe mirror it.</summary>
    static float[] Reference(float[] image, int top, int left, bool flip)
    {
        var result = new float[3 * 32 * 32];
        for (var c = 0; c < 3; c++)
        for (var i = 0; i < 32; i++)
        for (var j = 0; j < 32; j++)
        {
            var col = flip ? 31 - j : j;
            var (r, s) = (top + i - 4, left + col - 4);
            result[c * 1024 + i * 32 + j] = r is >= 0 and < 32 && s is >= 0 and < 32 ? image[c * 1024 + r * 32 + s] : 0f;
        }
        return result;
    }

    [Fact]
    public void Pad_crop_flip_matches_the_per_image_definition()
    {
        using var scope = NewDisposeScope();
        using var augmenter = new Augmenter(CPU);
        var x = randn(6, 3, 32, 32);
        var draw = new AugmentationDraw([0, 8, 4, 3, 4, 1], [0, 8, 4, 5, 4, 7], [false, true, false, true, true, false]);
        var y = augmenter.Apply(x, draw);
        Assert.Equal(new long[] { 6, 3, 32, 32 }, y.shape);
        for (var n = 0; n < 6; n++)
        {
            var expected = Reference(x[n].data<float>().ToArray(), draw.Top[n], draw.Left[n], draw.Flip[n]);
            Assert.Equal(expected, y[n].data<float>().ToArray());
        }
        Assert.True(Same(y[2], x[2]));            // centre crop, no flip: the original
        Assert.True(Same(y[4], x[4].flip(2)));    // centre crop, flipped: the mirror image
    }

    [Fact]
    public void Draws_are_a_function_of_seed_and_iteration_with_uniform_offsets_and_fair_flips()
    {
        Assert.Equal(Augmenter.Draw(128, 5, 77).Top, Augmenter.Draw(128, 5, 77).Top);
        Assert.Equal(Augmenter.Draw(128, 5, 77).Flip, Augmenter.Draw(128, 5, 77).Flip);
        Assert.NotEqual(Augmenter.Draw(128, 5, 77).Left, Augmenter.Draw(128, 5, 78).Left);
        Assert.NotEqual(Augmenter.Draw(128, 5, 77).Left, Augmenter.Draw(128, 6, 77).Left);

        var tops = new int[9];
        var lefts = new int[9];
        var flips = 0;
        const int batches = 200, size = 128;
        for (var t = 0; t < batches; t++)
        {
            var d = Augmenter.Draw(size, 0, t);
            foreach (var v in d.Top) tops[v]++;
            foreach (var v in d.Left) lefts[v]++;
            flips += d.Flip.Count(f => f);
        }
        const double expected = batches * size / 9.0;   // 2,844 per offset
        Assert.All(tops.Concat(lefts), n => Assert.InRange(n, expected * 0.9, expected * 1.1));
        Assert.InRange(flips / (double)(batches * size), 0.48, 0.52);
    }
}
