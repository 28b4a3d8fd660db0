using ResNetLab.Analysis;

namespace ResNetLab.Tests.Analysis;

public class PaperTablesTests
{
    [Fact]
    public void Cifar_table_puts_every_table6_row_beside_its_plain_twin()
    {
        var df = PaperTables.CifarParameters();
        Assert.Equal(6, df.Rows.Count);
        for (long i = 0; i < df.Rows.Count; i++)
            Assert.Equal(df["parameters (ours)"][i], df["plain twin"][i]);
        Assert.Equal(853_018L, df["parameters (ours)"][3]);
    }

    [Fact]
    public void Fig5_blocks_have_similar_cost()
    {
        var df = PaperTables.BlockCosts();
        var basic = (long)df["multiply-adds at 56×56"][0]!;
        var bottleneck = (long)df["multiply-adds at 56×56"][1]!;
        Assert.Equal(64L * 64 * 9 * 2 * 56 * 56, basic);                              // two 3×3, 64→64
        Assert.Equal((256L * 64 + 64 * 64 * 9 + 64 * 256) * 56 * 56, bottleneck);      // 1×1 reduce, 3×3, 1×1 restore
    }

    [Fact]
    public void Model_size_findings_match_every_table_row()
    {
        var facts = Findings.ModelSizes();
        Assert.Equal((6, 6), (facts.CifarMatching, facts.CifarTotal));
        Assert.Equal((ImageNetNetsInTable1, ImageNetNetsInTable1), (facts.ImageNetMatching, facts.ImageNetTotal));
        Assert.Equal(0.85, facts.ResNet56.Paper);
        Assert.Equal(11.3, facts.ResNet152.Paper);
        Assert.InRange(facts.ResNet152.Ours, 11.25, 11.35);   // measured, rounds to Table 1's 11.3
    }

    /// <summary>ResNet-18/34/50/101/152: Table 1 prints the multiply-adds of each.</summary>
    const int ImageNetNetsInTable1 = 5;
}
