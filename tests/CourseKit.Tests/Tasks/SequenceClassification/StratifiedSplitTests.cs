using CourseKit.Data;
using CourseKit.Tests.Data;
using CourseKit.Tasks.SequenceClassification;

namespace CourseKit.Tests.Tasks.SequenceClassification;

[KeepTensorsAlive]
public class StratifiedSplitTests(SharedDataFixture shared) : IClassFixture<SharedDataFixture>
{
    static readonly string[] Names = ["neg", "neu", "pos"];

    // 100 / 37 / 13 rows, interleaved so that ids of a class are not contiguous.
    static int[] Labels()
    {
        var labels = Enumerable.Repeat(0, 100).Concat(Enumerable.Repeat(1, 37)).Concat(Enumerable.Repeat(2, 13)).ToArray();
        new Random(5).Shuffle(labels);
        return labels;
    }

    static IReadOnlyList<SplitPart> Split(int[] labels, int seed) =>
        StratifiedSplit.Split(labels, Names, seed, "synthetic", ("train", 0.8), ("validation", 0.1), ("test", 0.1));

    [Fact]
    public void Same_seed_same_split_other_seed_other_split()
    {
        var labels = Labels();
        var a = Split(labels, 7);
        var b = Split(labels, 7);
        var c = Split(labels, 8);
        for (int k = 0; k < 3; k++) Assert.Equal(a[k].Ids, b[k].Ids);
        Assert.NotEqual(a[2].Ids, c[2].Ids);
    }

    [Fact]
    public void Parts_are_disjoint_and_cover_every_row()
    {
        var parts = Split(Labels(), 7);
        var all = parts.SelectMany(p => p.Ids).ToArray();
        Assert.Equal(150, all.Length);
        Assert.Equal(Enumerable.Range(0, 150), all.Order());
    }

    [Fact]
    public void Each_part_keeps_class_proportions_within_one_example()
    {
        var labels = Labels();
        var parts = Split(labels, 7);
        double[] fractions = [0.8, 0.1, 0.1];
        int[] perClass = [100, 37, 13];
        for (int k = 0; k < 3; k++)
            for (int c = 0; c < 3; c++)
            {
                int count = parts[k].Ids.Count(i => labels[i] == c);
                Assert.InRange(count, perClass[c] * fractions[k] - 1, perClass[c] * fractions[k] + 1);
                Assert.Equal(count, parts[k].ClassCounts[Names[c]]);
            }
    }

    [Fact]
    public void Fractions_below_one_give_a_stratified_subset()
    {
        var labels = Labels();
        var parts = StratifiedSplit.Split(labels, Names, 3, "synthetic", ("train", 0.4), ("test", 0.2));
        Assert.Empty(parts[0].Ids.Intersect(parts[1].Ids));
        Assert.InRange(parts[0].Ids.Length, 60 - 2, 60 + 2);
        Assert.InRange(parts[1].Ids.Length, 30 - 2, 30 + 2);
        Assert.InRange(parts[0].ClassCounts["pos"], 13 * 0.4 - 1, 13 * 0.4 + 1);
    }

    [Fact]
    public void Split_file_round_trips_and_catches_changed_data()
    {
        var labels = Labels();
        var split = new DataSplit("synthetic", 7, "stratified", Names, Split(labels, 7));
        var path = Path.Combine(TestPaths.NewTempDir("coursekit-split"), "split.json");
        split.Save(path);
        var loaded = DataSplit.Load(path);
        Assert.Equal(("synthetic", 7), (loaded.Dataset, loaded.Seed));
        Assert.Equal(Names, loaded.Labels);
        foreach (var name in new[] { "train", "validation", "test" })
        {
            Assert.Equal(split[name].Ids, loaded[name].Ids);
            Assert.Equal(split[name].ClassCounts.OrderBy(p => p.Key), loaded[name].ClassCounts.OrderBy(p => p.Key));
        }
        loaded.Validate(new Dictionary<string, IReadOnlyList<int>> { ["synthetic"] = labels }, path);

        var changed = labels.ToArray();
        changed[loaded["test"].Ids[0]] = (changed[loaded["test"].Ids[0]] + 1) % 3;
        var e = Assert.Throws<InvalidDataException>(() => loaded.Validate(new Dictionary<string, IReadOnlyList<int>> { ["synthetic"] = changed }, path));
        Assert.Contains(path, e.Message);
        Assert.Throws<InvalidDataException>(() => loaded.Validate(new Dictionary<string, IReadOnlyList<int>> { ["synthetic"] = labels[..100] }, path));
    }

    [Fact]
    public void PhraseBank_split_is_80_10_10_per_class_and_is_reused_from_its_file()
    {
        var registry = shared.With("financial-phrasebank");
        var all = FinancialPhraseBank.Load(PhraseBankAgreement.All, registry);
        var options = new FineTuneOptions { Task = FineTuneTask.PhraseBank, Registry = registry, Seed = 11 };
        var data = FineTuningData.Load(options);
        Assert.Equal(all.Count, data.Train.Count + data.Validation.Count + data.Test.Count);
        Assert.Equal(all.Count, data.Train.Concat(data.Validation).Concat(data.Test).Select(e => e.Id).Distinct().Count());
        foreach (var label in Enum.GetValues<FinancialSentiment>())
        {
            int n = all.Count(e => e.Label == label);
            Assert.InRange(data.Test.Count(e => e.Label == (int)label), n * 0.1 - 1, n * 0.1 + 1);
        }
        Assert.All(data.Test, e => Assert.Equal(all[e.Id].Sentence, e.Text));

        var path = Path.Combine(TestPaths.NewTempDir("coursekit-split"), "split.json");
        data.Split!.Save(path);
        var again = FineTuningData.Load(options with { Seed = 99, SplitFile = path });
        Assert.Equal(data.Test.Select(e => e.Id), again.Test.Select(e => e.Id));
    }

    [Fact]
    public void Sst2_test_is_held_out_from_train_and_validation_is_dev()
    {
        var registry = shared.With("sst2-glue");
        var data = FineTuningData.Load(new FineTuneOptions { Task = FineTuneTask.Sst2, Registry = registry, TrainSize = 400, ValidationSize = 100, TestSize = 100 });
        Assert.Equal("sst2-glue/train.tsv", data.Split!["test"].Source);
        Assert.Equal("sst2-glue/dev.tsv", data.Split["validation"].Source);
        Assert.Empty(data.Train.Select(e => e.Id).Intersect(data.Test.Select(e => e.Id)));
        Assert.InRange(data.Train.Count, 398, 402);
        Assert.InRange(data.Validation.Count, 98, 102);
        Assert.InRange(data.Test.Count, 98, 102);
    }
}
