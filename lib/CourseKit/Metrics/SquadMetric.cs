using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CourseKit.Data;

namespace CourseKit.Metrics;

/// <summary>One question's score: the best exact match and token F1 over its gold answers (0 when unanswered).</summary>
public sealed record SquadQuestionScore(string Id, string? Prediction, IReadOnlyList<string> GoldAnswers, bool ExactMatch, double F1);

/// <summary>Exact match and F1 averaged over every question of the data, ×100, as the official script prints them.</summary>
public sealed record SquadScores(double ExactMatch, double F1, int Total, IReadOnlyList<string> MissingIds, IReadOnlyList<SquadQuestionScore> Questions)
{
    public string ToJson() => JsonSerializer.Serialize(new
    {
        exact_match = ExactMatch, f1 = F1, total = Total, missing = MissingIds.Count, missing_ids = MissingIds,
    }, new JsonSerializerOptions { WriteIndented = true });

    public override string ToString() =>
        $"exact_match {ExactMatch:F3}  f1 {F1:F3}  ({Total} questions{(MissingIds.Count > 0 ? $", {MissingIds.Count} without a prediction, scored 0" : "")})";
}

/// <summary>
/// The official SQuAD v1.1 evaluation (evaluate-v1.1.py): answers are normalised (lower-cased, ASCII punctuation
/// removed, the articles a/an/the removed, white space collapsed), then exact match and bag-of-tokens F1 are taken,
/// each the maximum over the gold answers, and averaged over all questions ×100. A question without a prediction
/// scores 0 on both and is reported, as the script does.
/// </summary>
public static class SquadMetric
{
    // Python's string.punctuation: ASCII only, so "½" or "–" stay (as in the official script).
    const string Punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    static readonly Regex Articles = new(@"\b(a|an|the)\b", RegexOptions.Compiled);

    /// <summary>normalize_answer: lower → remove punctuation → remove articles → collapse white space.</summary>
    public static string Normalize(string text)
    {
        var lower = text.ToLowerInvariant();
        var noPunct = new StringBuilder(lower.Length);
        foreach (var c in lower) if (Punctuation.IndexOf(c) < 0) noPunct.Append(c);
        var noArticles = Articles.Replace(noPunct.ToString(), " ");
        return string.Join(' ', Tokens(noArticles));
    }

    // Python's str.split(): runs of white space, no empty pieces.
    static string[] Tokens(string s) => s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    public static bool ExactMatch(string prediction, string gold) => Normalize(prediction) == Normalize(gold);

    /// <summary>Token F1 of the normalised answers: the shared tokens counted with multiplicity (Counter &amp;).</summary>
    public static double F1(string prediction, string gold)
    {
        var predicted = Tokens(Normalize(prediction));
        var goldTokens = Tokens(Normalize(gold));
        var goldCounts = goldTokens.GroupBy(t => t).ToDictionary(g => g.Key, g => g.Count());
        int same = 0;
        foreach (var token in predicted)
            if (goldCounts.TryGetValue(token, out var left) && left > 0) { same++; goldCounts[token] = left - 1; }
        if (same == 0) return 0;
        double precision = (double)same / predicted.Length, recall = (double)same / goldTokens.Length;
        return 2 * precision * recall / (precision + recall);
    }

    /// <summary>Scores <paramref name="predictions"/> (question id → answer text) against every question of <paramref name="data"/>.</summary>
    public static SquadScores Evaluate(SquadDataset data, IReadOnlyDictionary<string, string> predictions)
    {
        var scores = new List<SquadQuestionScore>(data.Questions.Count);
        var missing = new List<string>();
        foreach (var q in data.Questions)
        {
            var gold = q.AnswerTexts.ToArray();
            if (!predictions.TryGetValue(q.Id, out var prediction))
            {
                missing.Add(q.Id);
                scores.Add(new SquadQuestionScore(q.Id, null, gold, false, 0));
                continue;
            }
            scores.Add(new SquadQuestionScore(q.Id, prediction, gold, gold.Any(g => ExactMatch(prediction, g)), gold.Max(g => F1(prediction, g))));
        }
        int total = scores.Count;
        double em = total == 0 ? 0 : 100.0 * scores.Count(s => s.ExactMatch) / total;
        double f1 = total == 0 ? 0 : 100.0 * scores.Sum(s => s.F1) / total;
        return new SquadScores(em, f1, total, missing, scores);
    }

    /// <summary>Reads an official prediction file: one JSON object, question id → answer string.</summary>
    public static IReadOnlyDictionary<string, string> LoadPredictions(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"prediction file not found: {path}", path);
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path))
                   ?? throw new SquadFormatException(path, null, "empty prediction file");
        }
        catch (JsonException e)
        {
            throw new SquadFormatException(path, null, $"not a SQuAD prediction file (a JSON object of question id → answer text): {e.Message}", e);
        }
    }

    /// <summary>Writes predictions in the official format.</summary>
    public static void SavePredictions(IReadOnlyDictionary<string, string> predictions, string path) =>
        File.WriteAllText(path, JsonSerializer.Serialize(predictions, new JsonSerializerOptions { WriteIndented = true }) + "\n");
}
