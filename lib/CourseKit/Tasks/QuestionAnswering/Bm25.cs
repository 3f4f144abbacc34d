using System.Text.RegularExpressions;

namespace CourseKit.Tasks.QuestionAnswering;

/// <summary>
/// Okapi BM25 over lower-cased word tokens, the classic lexical retriever (k1 1.5, b 0.75, idf
/// log(1 + (N − n + 0.5) / (n + 0.5))): the baseline the sentence encoder's retrieval is compared with.
/// </summary>
public sealed partial class Bm25
{
    readonly List<Dictionary<string, int>> _termCounts = new();
    readonly Dictionary<string, int> _documentFrequency = new();
    readonly double _averageLength;
    readonly double _k1, _b;

    public Bm25(IReadOnlyList<string> documents, double k1 = 1.5, double b = 0.75)
    {
        _k1 = k1;
        _b = b;
        foreach (var doc in documents)
        {
            var counts = Tokens(doc).GroupBy(t => t).ToDictionary(g => g.Key, g => g.Count());
            _termCounts.Add(counts);
            foreach (var term in counts.Keys) _documentFrequency[term] = _documentFrequency.GetValueOrDefault(term) + 1;
        }
        _averageLength = _termCounts.Count == 0 ? 0 : _termCounts.Average(c => c.Values.Sum());
    }

    [GeneratedRegex(@"\w+")]
    private static partial Regex Word();

    public static IEnumerable<string> Tokens(string text) => Word().Matches(text.ToLowerInvariant()).Select(m => m.Value);

    public double Score(IReadOnlyList<string> queryTokens, int document)
    {
        var counts = _termCounts[document];
        double length = counts.Values.Sum(), score = 0;
        foreach (var term in queryTokens)
        {
            if (!counts.TryGetValue(term, out var tf)) continue;
            int n = _documentFrequency[term];
            double idf = Math.Log(1 + (_termCounts.Count - n + 0.5) / (n + 0.5));
            score += idf * tf * (_k1 + 1) / (tf + _k1 * (1 - _b + _b * length / _averageLength));
        }
        return score;
    }

    /// <summary>Document indices by score, best first (ties: lower index first).</summary>
    public IReadOnlyList<int> Rank(string query, int k)
    {
        var tokens = Tokens(query).ToArray();
        return Enumerable.Range(0, _termCounts.Count).Select(d => (d, s: Score(tokens, d)))
            .OrderByDescending(x => x.s).ThenBy(x => x.d).Take(k).Select(x => x.d).ToArray();
    }
}
