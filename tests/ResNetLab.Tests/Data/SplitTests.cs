using ResNetLab.Data;

namespace ResNetLab.Tests.Data;

public class SplitTests
{
    static CifarData Real => CifarData.Load(TestPaths.Cifar10);

    [Fact]
    public void Full_split_trains_on_50k_and_evaluates_on_the_10k_test_images()
    {
        var split = CifarSplit.Make(Real, DataSplit.Full, seed: 0);
        Assert.Equal((50_000, 10_000, "test"), (split.TrainCount, split.EvalCount, split.EvalName));
        Assert.Equal(Real.TestLabels, split.EvalLabels);
        Assert.Equal("train 50,000 / test 10,000", split.Description);
    }

    [Fact]
    public void Validation_split_holds_out_500_per_class_chosen_by_the_seed()
    {
        var a = CifarData.Load(TestPaths.Cifar10);
        var holdout = CifarSplit.StratifiedHoldout(a.TrainLabels, 10, 5_000, seed: 1);
        Assert.Equal(5_000, holdout.Distinct().Count());
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(500, holdout.Count(i => a.TrainLabels[i] == c)));
        Assert.Equal(holdout, CifarSplit.StratifiedHoldout(a.TrainLabels, 10, 5_000, seed: 1));
        var other = CifarSplit.StratifiedHoldout(a.TrainLabels, 10, 5_000, seed: 2);
        Assert.InRange(holdout.Intersect(other).Count(), 1, 1_000);   // about 10% overlap by chance, not the same set

        var split = CifarSplit.Make(a, DataSplit.Validation, seed: 1);
        Assert.Equal((45_000, 5_000, "validation"), (split.TrainCount, split.EvalCount, split.EvalName));
        // The held-out images are exactly those missing from the training part (compare by image bytes of a few).
        var first = holdout[0];
        Assert.True(split.EvalImages.AsSpan(0, 3072).SequenceEqual(a.TrainImages.AsSpan(first * 3072, 3072)));
        var trainSet = new HashSet<int>(Enumerable.Range(0, 50_000).Except(holdout));
        Assert.Equal(45_000, trainSet.Count);
        Assert.Equal(Enumerable.Range(0, 50_000).Where(trainSet.Contains).Take(3).Select(i => a.TrainLabels[i]), split.TrainLabels.Take(3));
    }

    [Fact]
    public void Budget_subsets_are_seeded_for_training_and_fixed_for_evaluation()
    {
        var a = CifarSplit.Make(Real, DataSplit.Full, seed: 3, trainLimit: 1_000, evalLimit: 200);
        var b = CifarSplit.Make(Real, DataSplit.Full, seed: 3, trainLimit: 1_000, evalLimit: 200);
        var c = CifarSplit.Make(Real, DataSplit.Full, seed: 4, trainLimit: 1_000, evalLimit: 200);
        Assert.Equal((1_000, 200), (a.TrainCount, a.EvalCount));
        Assert.Equal(a.TrainImages, b.TrainImages);
        Assert.NotEqual(a.TrainImages, c.TrainImages);
        Assert.Equal(a.EvalImages, c.EvalImages);
        Assert.Equal(Real.TestLabels.Take(200), a.EvalLabels);
    }

    [Fact]
    public void SplitMix_streams_are_reproducible_and_uniform()
    {
        var p = SplitMix64.For(7, 1).Permutation(1000);
        Assert.Equal(p, SplitMix64.For(7, 1).Permutation(1000));
        Assert.NotEqual(p, SplitMix64.For(7, 2).Permutation(1000));
        Assert.Equal(Enumerable.Range(0, 1000), p.Order());
        var rng = SplitMix64.For(0);
        var counts = new int[9];
        for (var i = 0; i < 90_000; i++) counts[rng.NextInt(9)]++;
        Assert.All(counts, n => Assert.InRange(n, 9_600, 10_400));
    }
}
