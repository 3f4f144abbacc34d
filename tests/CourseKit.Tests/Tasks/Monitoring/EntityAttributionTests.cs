using CourseKit.Tasks.Monitoring;

namespace CourseKit.Tests.Tasks.Monitoring;

[KeepTensorsAlive]
public class EntityAttributionTests
{
    /// <summary>Tags the words it knows: a stand-in for the chapter-06 NER model.</summary>
    sealed class DictionaryTagger(Dictionary<string, string> tags) : IEntityTagger
    {
        public IReadOnlyList<string[]> Tag(IReadOnlyList<string[]> sentences) =>
            sentences.Select(words => words.Select(w => tags.GetValueOrDefault(w, "O")).ToArray()).ToArray();
    }

    static SentimentScore Score(float negative, float positive) =>
        new(negative > positive ? SentimentLabels.Negative : SentimentLabels.Positive, negative, 1 - negative - positive, positive, Math.Max(negative, positive), 0);

    [Fact]
    public void Words_are_split_like_conll_tokens()
    {
        Assert.Equal(["Nokia", "'s", "profit", "rose", "to", "EUR", "1.5", "mn", "."], EntitySentimentAggregator.SplitWords("Nokia 's profit rose to EUR 1.5 mn."));
        Assert.Equal(["Stora", "Enso", "Oyj", ",", "AT&T", "'s"], EntitySentimentAggregator.SplitWords("Stora Enso Oyj, AT&T's"));
    }

    [Fact]
    public void Iob2_spans_become_entity_names()
    {
        string[] words = ["Stora", "Enso", "Oyj", "and", "Nokia", "met", "UPM"];
        string[] tags = ["B-ORG", "I-ORG", "I-ORG", "O", "B-ORG", "O", "I-ORG"];
        Assert.Equal(["Stora Enso Oyj", "Nokia", "UPM"], EntitySentimentAggregator.Entities(words, tags));
        Assert.Empty(EntitySentimentAggregator.Entities(["Helsinki"], ["B-LOC"]));
    }

    [Fact]
    public void Each_sentence_counts_once_for_every_organisation_it_names()
    {
        var tagger = new DictionaryTagger(new() { ["Nokia"] = "B-ORG", ["NOKIA"] = "B-ORG", ["Fortum"] = "B-ORG", ["Oyj"] = "I-ORG" });
        string[] texts =
        [
            "Nokia raised its outlook.",            // +0.8
            "Nokia and Fortum Oyj cut jobs; Nokia fell.", // -0.6, Nokia named twice but counted once
            "NOKIA shares slipped.",                 // -0.4, same company in capitals
            "The market was calm.",                  // no entity
        ];
        var scores = new[] { Score(0.1f, 0.9f), Score(0.7f, 0.1f), Score(0.5f, 0.1f), Score(0.1f, 0.2f) };
        var aggregator = new EntitySentimentAggregator();
        var found = aggregator.Add(texts, scores, tagger);
        Assert.Equal(["Nokia", "Fortum Oyj"], found[1]);
        Assert.Empty(found[3]);

        var table = aggregator.Summary();
        var nokia = table[0];
        Assert.Equal(("Nokia", 3), (nokia.Entity, nokia.Count)); // the most frequent spelling
        Assert.Equal((0.8 - 0.6 - 0.4) / 3, nokia.MeanPolarity, 5);
        Assert.Equal(2 / 3.0, nokia.NegativeShare, 5);
        // mean ± 1.96 * sd / sqrt(3), sd of (0.8, -0.6, -0.4) = sqrt(0.5733) -> half-width 0.8569
        Assert.Equal(nokia.MeanPolarity - 0.8569, nokia.Low, 3);
        Assert.Equal(nokia.MeanPolarity + 0.8569, nokia.High, 3);
        var fortum = table[1];
        Assert.Equal(("Fortum Oyj", 1, -1.0, 1.0), (fortum.Entity, fortum.Count, fortum.Low, fortum.High));
        Assert.Single(aggregator.Summary(minCount: 2));
    }
}
