using CourseKit.Data;
using CourseKit.Tests.Data;
using CourseKit.Tasks.SequenceClassification;

namespace CourseKit.Tests.Tasks.SequenceClassification;

/// <summary><see cref="FineTuneOptions.TestFold"/>: ten stratified folds of PhraseBank, test fold K, validation K+1.</summary>
[KeepTensorsAlive]
public class CrossValidationSplitTests(SharedDataFixture shared) : IClassFixture<SharedDataFixture>
{
    [Fact]
    public void Ten_test_folds_are_disjoint_cover_every_sentence_and_validation_is_the_next_fold()
    {
        var registry = shared.With("financial-phrasebank");
        var all = FinancialPhraseBank.Load(PhraseBankAgreement.AtLeast50, registry);
        var options = new FineTuneOptions { Task = FineTuneTask.PhraseBank, Agreement = PhraseBankAgreement.AtLeast50, Registry = registry };
        var folds = Enumerable.Range(0, FineTuningData.CrossValidationFolds).Select(k => FineTuningData.Load(options with { TestFold = k })).ToArray();

        var tested = folds.SelectMany(f => f.Test.Select(e => e.Id)).ToArray();
        Assert.Equal(all.Count, tested.Length);
        Assert.Equal(all.Count, tested.Distinct().Count());
        for (int k = 0; k < folds.Length; k++)
        {
            var f = folds[k];
            Assert.Equal(folds[(k + 1) % folds.Length].Test.Select(e => e.Id), f.Validation.Select(e => e.Id));
            var train = f.Train.Select(e => e.Id).ToHashSet();
            Assert.Empty(train.Intersect(f.Test.Select(e => e.Id)));
            Assert.Empty(train.Intersect(f.Validation.Select(e => e.Id)));
            Assert.Equal(all.Count, train.Count + f.Validation.Count + f.Test.Count);
            foreach (var label in Enum.GetValues<FinancialSentiment>())
            {
                int n = all.Count(e => e.Label == label);
                // Each tenth takes round(n / 10) of a class; the last one the rest, so it can be off by half a row per fold.
                double slack = k < folds.Length - 1 ? 1 : folds.Length / 2.0;
                Assert.InRange(f.Test.Count(e => e.Label == (int)label), n * 0.1 - slack, n * 0.1 + slack);
            }
            Assert.All(f.Test, e => Assert.Equal(all[e.Id].Sentence, e.Text));
        }
        // The usual split is not a fold: without TestFold nothing changes.
        var usual = FineTuningData.Load(options);
        Assert.NotEqual(folds[0].Test.Select(e => e.Id), usual.Test.Select(e => e.Id));
        Assert.Equal(usual.Test.Select(e => e.Id), FineTuningData.Load(options).Test.Select(e => e.Id));
    }

    [Fact]
    public void A_fold_with_sizes_is_cut_to_stratified_subsets_of_its_own_parts()
    {
        var registry = shared.With("financial-phrasebank");
        var options = new FineTuneOptions { Task = FineTuneTask.PhraseBank, Registry = registry, TestFold = 3 };
        var whole = FineTuningData.Load(options);
        var cut = FineTuningData.Load(options with { TrainSize = 200, ValidationSize = 50, TestSize = 60 });
        Assert.InRange(cut.Train.Count, 198, 202);
        Assert.InRange(cut.Validation.Count, 48, 52);
        Assert.InRange(cut.Test.Count, 58, 62);
        Assert.Subset(whole.Test.Select(e => e.Id).ToHashSet(), cut.Test.Select(e => e.Id).ToHashSet());
        Assert.Subset(whole.Train.Select(e => e.Id).ToHashSet(), cut.Train.Select(e => e.Id).ToHashSet());
    }

    [Fact]
    public void A_fold_outside_0_to_9_or_on_sst2_is_refused()
    {
        var registry = shared.With("financial-phrasebank");
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => FineTuningData.Load(new FineTuneOptions { Task = FineTuneTask.PhraseBank, Registry = registry, TestFold = 10 }));
        Assert.Contains("the folds are 0 to 9", e.Message);
        var sst2 = Assert.Throws<ArgumentException>(() => new FineTuneOptions { Task = FineTuneTask.Sst2, TestFold = 1 }.Validate());
        Assert.Contains("PhraseBank", sst2.Message);
    }
}
