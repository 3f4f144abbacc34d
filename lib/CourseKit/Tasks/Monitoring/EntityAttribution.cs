using System.Text.RegularExpressions;
using CourseKit.Models;
using CourseKit.Tasks.TokenClassification;
using CourseKit.Text;

namespace CourseKit.Tasks.Monitoring;

/// <summary>IOB2 tags (B-ORG, I-ORG, O, ...) for sentences already split into words, one tag per word.</summary>
public interface IEntityTagger
{
    IReadOnlyList<string[]> Tag(IReadOnlyList<string[]> sentences);
}

/// <summary>A chapter-06 token classifier (a model folder saved by the CoNLL reproduction: model/) as a tagger.</summary>
public sealed class NerEntityTagger(BertForTokenClassification model, BertTextTokenizer tokenizer, IReadOnlyList<string> labels) : IEntityTagger
{
    public IReadOnlyList<string> Labels { get; } = labels;

    public static NerEntityTagger Load(string dir)
    {
        var model = Pretrained.Load(dir, BertConfig.Load, c => new BertForTokenClassification(c)).Model;
        var labels = Enumerable.Range(0, model.Config.NumLabels).Select(i => model.Config.Id2Label?.GetValueOrDefault(i.ToString()) ?? $"LABEL_{i}").ToArray();
        if (!labels.Any(l => l.EndsWith("-ORG", StringComparison.Ordinal)))
            throw new InvalidDataException($"{dir}: the token classifier has no ORG label ({string.Join(", ", labels)}); entity attribution needs a CoNLL-style NER model");
        return new NerEntityTagger(model, Pretrained.LoadTokenizer(dir), labels);
    }

    public IReadOnlyList<string[]> Tag(IReadOnlyList<string[]> sentences) =>
        sentences.Count == 0 ? [] : TokenClassificationPredictor.Predict(model, tokenizer, sentences.Select(s => (IReadOnlyList<string>)s).ToArray(), Labels);
}

/// <summary>What the monitor knows about one organisation: how often it was named and how the sentences naming it read.</summary>
public sealed record EntitySentiment(string Entity, int Count, double MeanPolarity, double Low, double High, double NegativeShare);

/// <summary>
/// "Who is it about": each sentence's polarity (P(positive) − P(negative)) is attributed to every distinct ORG entity
/// the NER model finds in it, and aggregated per entity. A sentence naming two companies counts for both (the
/// sentence-level model cannot tell whose news it is; a targeted, aspect-based model could). Names are matched
/// case-insensitively and shown in their most frequent spelling. Memory grows with the number of entities only.
/// </summary>
public sealed class EntitySentimentAggregator
{
    sealed class Totals
    {
        public int Count, Negatives;
        public double Sum, Squares;
        public readonly Dictionary<string, int> Spellings = new(StringComparer.Ordinal);
    }

    readonly Dictionary<string, Totals> _entities = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Words as the CoNLL data has them: runs of letters/digits (with inner '-', '.', '&amp;'), a possessive 's and single punctuation marks.</summary>
    public static string[] SplitWords(string text) =>
        Regex.Matches(text, @"[\p{L}\p{N}]+(?:[-.&][\p{L}\p{N}]+)*|['’][sS]\b|[^\s\p{L}\p{N}]").Select(m => m.Value).ToArray();

    /// <summary>The entity strings of one entity type in a tagged sentence (B-X starts, I-X continues; a stray I-X starts too).</summary>
    public static IReadOnlyList<string> Entities(IReadOnlyList<string> words, IReadOnlyList<string> tags, string type = "ORG")
    {
        var found = new List<string>();
        var current = new List<string>();
        void Flush() { if (current.Count > 0) found.Add(string.Join(' ', current)); current.Clear(); }
        for (int i = 0; i < words.Count; i++)
        {
            var tag = tags[i];
            bool inside = tag == "I-" + type, begin = tag == "B-" + type;
            if (begin || (inside && current.Count == 0)) { Flush(); current.Add(words[i]); }
            else if (inside) current.Add(words[i]);
            else Flush();
        }
        Flush();
        return found;
    }

    /// <summary>Tags the texts and attributes each one's score to its ORG entities; returns each text's entities.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Add(IReadOnlyList<string> texts, IReadOnlyList<SentimentScore> scores, IEntityTagger tagger)
    {
        var words = texts.Select(SplitWords).ToArray();
        var tags = tagger.Tag(words);
        var result = new IReadOnlyList<string>[texts.Count];
        for (int i = 0; i < texts.Count; i++)
        {
            var entities = Entities(words[i], tags[i]).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
            result[i] = entities;
            foreach (var entity in entities) Add(entity, scores[i]);
        }
        return result;
    }

    public void Add(string entity, SentimentScore score)
    {
        if (!_entities.TryGetValue(entity, out var totals)) _entities[entity] = totals = new Totals();
        totals.Count++;
        totals.Sum += score.Polarity;
        totals.Squares += score.Polarity * (double)score.Polarity;
        if (score.IsNegative) totals.Negatives++;
        totals.Spellings[entity] = totals.Spellings.GetValueOrDefault(entity) + 1;
    }

    /// <summary>Entities named at least <paramref name="minCount"/> times, most named first; the interval is the mean
    /// polarity ± 1.96 standard errors (from running sums, so a long stream keeps no per-sentence values; with one
    /// mention the interval is the whole range [−1, 1]).</summary>
    public IReadOnlyList<EntitySentiment> Summary(int minCount = 1) =>
        _entities.Where(kv => kv.Value.Count >= minCount)
            .Select(kv =>
            {
                var t = kv.Value;
                double mean = t.Sum / t.Count;
                double half = t.Count > 1 ? 1.96 * Math.Sqrt(Math.Max(0, (t.Squares - t.Count * mean * mean) / (t.Count - 1)) / t.Count) : 2;
                var name = t.Spellings.OrderByDescending(s => s.Value).ThenBy(s => s.Key, StringComparer.Ordinal).First().Key;
                return new EntitySentiment(name, t.Count, mean, Math.Max(-1, mean - half), Math.Min(1, mean + half), t.Negatives / (double)t.Count);
            })
            .OrderByDescending(e => e.Count).ThenBy(e => e.Entity, StringComparer.OrdinalIgnoreCase).ToArray();
}
