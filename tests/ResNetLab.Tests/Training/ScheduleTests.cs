using ResNetLab.Training;

namespace ResNetLab.Tests.Training;

public class ScheduleTests
{
    [Fact]
    public void The_paper_recipe_is_section_4_2()
    {
        var p = TrainingRecipe.Paper;
        Assert.Equal((128, 0.1, 0.9, 1e-4, 0.1, 64_000), (p.BatchSize, p.LearningRate, p.Momentum, p.WeightDecay, p.LrDecay, p.Iterations));
        Assert.Equal([32_000, 48_000], p.Milestones);
        Assert.Equal(p, Budget.Full.Recipe());
    }

    [Theory]
    [InlineData(0, 0.1)]
    [InlineData(31_999, 0.1)]
    [InlineData(32_000, 0.01)]
    [InlineData(47_999, 0.01)]
    [InlineData(48_000, 0.001)]
    [InlineData(63_999, 0.001)]
    public void The_rate_is_divided_by_10_at_32k_and_48k(int iteration, double rate) =>
        Assert.Equal(rate, new LearningRateSchedule(TrainingRecipe.Paper, null).RateAt(iteration), 12);

    [Fact]
    public void Smaller_budgets_keep_the_schedule_shape()
    {
        foreach (var budget in Budget.All)
        {
            var r = budget.Recipe();
            Assert.Equal(budget.Iterations, r.Iterations);
            Assert.Equal([budget.Iterations / 2, budget.Iterations * 3 / 4], r.Milestones);
            Assert.Equal(TrainingRecipe.Paper with { Iterations = r.Iterations, Milestones = r.Milestones }, r);
        }
        Assert.Equal([400, 600], Budget.Quick.Recipe().Milestones);
        Assert.Throws<ArgumentException>(() => Budget.Parse("huge"));
    }

    [Fact]
    public void A_number_of_iterations_is_a_budget_of_the_papers_shape_between_quick_and_full()
    {
        var b = Budget.Parse("3200");
        Assert.Equal(b, Budget.Parse("3200it"));
        Assert.Equal(("3200it", 3200, 200, 400, (int?)null, (int?)2_000), (b.Name, b.Iterations, b.EvalEvery, b.CheckpointEvery, b.TrainImages, b.EvalImages));
        Assert.Equal([1600, 2400], b.Recipe().Milestones);
        Assert.Same(Budget.Quick, Budget.Parse("800"));   // quick is 800 iterations: one name for one schedule
        Assert.Equal("resnet56-A-cifar10-3200it-bf16-s1",
                     Experiment.Resolve(new RunConfig { Model = "resnet56", Budget = b, Seed = 1, Precision = ResNetLab.Models.Precision.Bf16 }).RunName);
        foreach (var bad in new[] { "99", "64001", "-5", "1e3", "3200 it", "it" })
            Assert.Contains("number of iterations", Assert.Throws<ArgumentException>(() => Budget.Parse(bad)).Message);
    }

    [Fact]
    public void Warmup_holds_0_01_until_training_error_falls_below_80_percent_then_goes_back_to_0_1()
    {
        var schedule = new LearningRateSchedule(TrainingRecipe.Paper, WarmupRule.Paper);
        var window = WarmupRule.Paper.Window;
        Assert.Equal(400, window);   // about one epoch: the paper's "about 400 iterations"
        var t = 0;
        for (; t < window; t++)
        {
            Assert.Equal(0.01, schedule.RateAt(t));
            schedule.Observe(t, 0.95);
        }
        Assert.True(schedule.WarmingUp);
        // Errors now fall; the switch happens once the mean over the last 400 batches is below 0.80:
        // 0.95 - 0.35 k / 400 < 0.80 first at k = 172 batches at 0.60.
        var switchedAt = -1;
        for (; t < 2 * window && switchedAt < 0; t++)
        {
            schedule.Observe(t, 0.60);
            if (!schedule.WarmingUp) switchedAt = t + 1;
        }
        Assert.Equal(window + 172, switchedAt);
        Assert.Equal(switchedAt, schedule.WarmupEndedAt);
        Assert.Equal(0.1, schedule.RateAt(switchedAt));                 // back to the paper's rate …
        schedule.Observe(switchedAt, 0.95);
        Assert.Equal(0.1, schedule.RateAt(switchedAt + 1));             // … for good: warm-up does not come back
        Assert.Equal(0.01, schedule.RateAt(40_000), 12);                // and the milestones apply as usual
    }

    [Fact]
    public void Warmup_state_survives_a_checkpoint_and_never_raises_the_rate_above_the_schedule()
    {
        // Even a net below 80 % from the first batch warms up for one whole window (the paper's ~400 iterations).
        var window = WarmupRule.Paper.Window;
        var a = new LearningRateSchedule(TrainingRecipe.Paper, WarmupRule.Paper);
        for (var t = 0; t < window - 3; t++) a.Observe(t, 0.75);
        var b = new LearningRateSchedule(TrainingRecipe.Paper, WarmupRule.Paper, a.State with { });
        for (var t = window - 3; t < window; t++)
        {
            Assert.True(a.WarmingUp && b.WarmingUp);
            a.Observe(t, 0.75);
            b.Observe(t, 0.75);
        }
        Assert.Equal(window, a.WarmupEndedAt);
        Assert.Equal(a.WarmupEndedAt, b.WarmupEndedAt);

        var stuck = new LearningRateSchedule(TrainingRecipe.Paper, WarmupRule.Paper);
        Assert.Equal(0.001, stuck.RateAt(50_000), 12);   // still warming up, but past the second decay
    }

    [Fact]
    public void The_paper_warms_up_from_110_layers()
    {
        Assert.Null(Experiment.WarmupFor(null, 56));
        Assert.Equal(WarmupRule.Paper, Experiment.WarmupFor(null, 110));
        Assert.Equal(WarmupRule.Paper, Experiment.WarmupFor(null, 1202));
        Assert.Equal(WarmupRule.Paper, Experiment.WarmupFor(true, 20));
        Assert.Null(Experiment.WarmupFor(false, 110));
    }
}
