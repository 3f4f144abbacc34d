using CourseKit.Data;
using CourseKit.Tasks.Monitoring;
using CourseKit.Tasks.SequenceClassification;
using CourseKit.Tests.Data;

namespace CourseKit.Tests.Tasks.Monitoring;

[KeepTensorsAlive]
public class AgreementScoresTests(SharedDataFixture shared) : IClassFixture<SharedDataFixture>
{
    [Fact]
    public void The_agreement_files_nest_so_a_sentence_s_highest_level_says_every_file_it_is_in()
    {
        var registry = shared.With("financial-phrasebank");
        var highest = FinancialPhraseBank.HighestAgreement(registry);
        foreach (var file in Enum.GetValues<PhraseBankAgreement>())
        {
            var members = FinancialPhraseBank.Load(file, registry).Select(e => e.Sentence).ToHashSet(StringComparer.Ordinal);
            var byHighest = highest.Where(kv => FinancialPhraseBank.IsIn(kv.Value, file)).Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);
            Assert.True(members.SetEquals(byHighest), $"{FinancialPhraseBank.FileName(file)}: {members.Count} sentences, {byHighest.Count} by highest level");
        }
    }

    [Fact]
    public void Each_level_scores_the_test_sentences_of_its_own_file()
    {
        var registry = shared.With("financial-phrasebank");
        var highest = FinancialPhraseBank.HighestAgreement(registry);
        string Sentence(PhraseBankAgreement level) => highest.First(kv => kv.Value == level).Key;
        // Four sentences, one per highest level, each labelled neutral; the prediction is right for the unanimous
        // and the 75 % one only.
        LabeledText[] test = [.. new[] { PhraseBankAgreement.All, PhraseBankAgreement.AtLeast75, PhraseBankAgreement.AtLeast66, PhraseBankAgreement.AtLeast50 }
            .Select((level, i) => new LabeledText(i, Sentence(level), SentimentLabels.Neutral))];
        float[] right = [0f, 5f, 0f], wrong = [5f, 0f, 0f];
        var scores = MonitorTraining.AgreementScores(test, [right, right, wrong, wrong], registry).ToDictionary(s => s.Level);
        Assert.Equal((4, 0.5), (scores["50Agree"].Count, scores["50Agree"].Accuracy));
        Assert.Equal((3, 2 / 3.0), (scores["66Agree"].Count, scores["66Agree"].Accuracy));
        Assert.Equal((2, 1.0), (scores["75Agree"].Count, scores["75Agree"].Accuracy));
        Assert.Equal((1, 1.0), (scores["AllAgree"].Count, scores["AllAgree"].Accuracy));
    }
}
