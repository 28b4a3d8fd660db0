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
        var paper = TrainingRecipe.Paper;
        Assert.Null(WarmupRule.Of(null, 56, paper));
        Assert.Equal(WarmupRule.Paper, WarmupRule.Of(null, 110, paper));
        Assert.Equal(WarmupRule.Paper, WarmupRule.Of(null, 1202, paper));
        Assert.Equal(WarmupRule.Paper, WarmupRule.Of(true, 20, paper));
        Assert.Null(WarmupRule.Of(false, 110, paper));
    }

    [Fact]
    public void Short_schedules_ramp_the_warm_up_so_a_110_layer_net_trains_at_0_1_for_most_of_the_time_before_the_first_decay()
    {
        // From 1,600 iterations on (first decay at 800) the paper's 400-batch switch can end in the first half: its rule.
        Assert.Equal(WarmupRule.Paper, WarmupRule.For(Budget.Parse("1600").Recipe()));
        Assert.Equal(WarmupRule.Paper, WarmupRule.For(Budget.Parse("3200").Recipe()));
        // quick (first decay at 400): a linear ramp over 100 iterations, then 0.1 for the other 300.
        var quick = Budget.Quick.Recipe();
        var rule = WarmupRule.For(quick);
        Assert.Equal(100, rule.RampIterations);
        var schedule = new LearningRateSchedule(quick, rule);
        Assert.Equal(0.01, schedule.RateAt(0), 12);
        Assert.Equal(0.055, schedule.RateAt(50), 12);
        Assert.Equal(0.0991, schedule.RateAt(99), 12);
        for (var t = 0; t < 100; t++) { Assert.True(schedule.WarmingUp); schedule.Observe(t, 0.95); }   // the error does not matter
        Assert.Equal(100, schedule.WarmupEndedAt);
        var fullRate = Enumerable.Range(0, quick.Milestones.Min()).Count(t => schedule.RateAt(t) == quick.LearningRate);
        Assert.Equal(300, fullRate);
        Assert.Equal(0.01, schedule.RateAt(450), 12);   // the decays as usual

        // A resumed ramp makes the same switch: the state carries its end.
        var resumed = new LearningRateSchedule(quick, rule, schedule.State);
        Assert.False(resumed.WarmingUp);
        Assert.Equal(0.1, resumed.RateAt(120), 12);
    }

    [Fact]
    public void Only_the_runs_the_ramp_changes_get_a_new_name_hash_and_a_named_departure()
    {
        var quick110 = new RunConfig { Model = "resnet110", Budget = Budget.Quick };
        Assert.Equal("resnet110-cifar10-quick-ramp100-s0", quick110.RunName);
        Assert.Contains(quick110.Departures, d => d.Contains("ramped linearly", StringComparison.Ordinal) && d.Contains("100", StringComparison.Ordinal));
        Assert.NotEqual(quick110.Hash, (quick110 with { Warmup = false }).Hash);

        // The paper's rule at 3,200 and at full, and nets without warm-up, keep their names and departures (none).
        foreach (var config in new[]
                 {
                     new RunConfig { Model = "resnet110", Budget = Budget.Parse("3200") },
                     new RunConfig { Model = "resnet110", Budget = Budget.Full },
                     new RunConfig { Model = "resnet56", Budget = Budget.Quick },
                 })
        {
            Assert.DoesNotContain("ramp", config.RunName, StringComparison.Ordinal);
            Assert.Empty(config.Departures);
        }
    }
}
