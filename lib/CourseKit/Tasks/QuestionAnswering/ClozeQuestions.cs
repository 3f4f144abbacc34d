using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CourseKit.Checkpoints;
using CourseKit.Data;

namespace CourseKit.Tasks.QuestionAnswering;

/// <summary>
/// Extractive questions made from plain text, with no labels: the self-supervised QA data of Lewis et al. 2019
/// (cloze questions turned into rough wh-questions) combined with Splinter's recurring spans (Ram et al. 2021). In a
/// paragraph, a name or number that occurs in two sentences is the answer: one of those sentences becomes the
/// question (the span replaced by "when" for a year, "how many" for a number, "what" otherwise) and is removed from
/// the context, so the reader must find the other occurrence from the words around it, not copy the sentence. A reader
/// trained on these first has learnt to select spans before it sees one labelled question.
/// </summary>
public static partial class ClozeQuestions
{
    /// <summary>The SQuAD-format data set of up to <paramref name="perParagraph"/> questions per paragraph of
    /// <paramref name="articles"/> (title, paragraphs of plain text), at most <paramref name="maxQuestions"/> in all,
    /// chosen with <paramref name="seed"/>.</summary>
    public static SquadDataset Generate(IReadOnlyList<(string Title, IReadOnlyList<string> Paragraphs)> articles, int maxQuestions, int seed,
        int perParagraph = 2, string source = "cloze questions")
    {
        var random = new Random(seed);
        var made = new List<Article>();
        int count = 0;
        foreach (var (title, paragraphs) in articles)
        {
            var items = new List<Passage>();
            foreach (var paragraph in paragraphs)
            {
                if (count >= maxQuestions) break;
                foreach (var (context, question, answers) in FromParagraph(paragraph, random).Take(Math.Min(perParagraph, maxQuestions - count)))
                    items.Add(new Passage(context, [new Qa($"cloze-{count++:D6}", question, answers)]));   // its own context: the question's sentence is out
            }
            if (items.Count > 0) made.Add(new Article(title, items));
        }
        return SquadReader.Parse(SquadJson(made).ToJsonString(), source);   // the reader checks every answer against its context
    }

    /// <summary>Writes <paramref name="data"/>'s questions as a SQuAD v1.1 file (atomically).</summary>
    public static void Save(SquadDataset data, string path) =>
        AtomicFile.WriteAllText(path, SquadJson(data.Articles.Select(a => new Article(a.Title,
            a.Paragraphs.Select(p => new Passage(p.Context, p.Questions.Select(q => new Qa(q.Id, q.Question, q.Answers)).ToArray())).ToArray()))).ToJsonString() + "\n");

    sealed record Qa(string Id, string Question, IReadOnlyList<SquadAnswer> Answers);
    sealed record Passage(string Context, IReadOnlyList<Qa> Questions);
    sealed record Article(string Title, IReadOnlyList<Passage> Paragraphs);

    /// <summary>The SQuAD v1.1 layout: articles (title) → paragraphs (context) → questions (id, question, answers).</summary>
    static JsonObject SquadJson(IEnumerable<Article> articles) => new()
    {
        ["version"] = "cloze-1",
        ["data"] = new JsonArray(articles.Select(a => (JsonNode)new JsonObject
        {
            ["title"] = a.Title,
            ["paragraphs"] = new JsonArray(a.Paragraphs.Select(p => (JsonNode)new JsonObject
            {
                ["context"] = p.Context,
                ["qas"] = new JsonArray(p.Questions.Select(q => (JsonNode)new JsonObject
                {
                    ["id"] = q.Id, ["question"] = q.Question,
                    ["answers"] = new JsonArray(q.Answers.Select(x => (JsonNode)new JsonObject { ["text"] = x.Text, ["answer_start"] = x.Start }).ToArray()),
                }).ToArray()),
            }).ToArray()),
        }).ToArray()),
    };

    /// <summary>The questions one paragraph gives, in a seeded order: (context without the question sentence, question,
    /// every occurrence of the answer in that context).</summary>
    public static IEnumerable<(string Context, string Question, IReadOnlyList<SquadAnswer> Answers)> FromParagraph(string paragraph, Random random)
    {
        var sentences = SentenceBreak().Split(paragraph.Trim()).Where(s => s.Length > 0).ToArray();
        if (sentences.Length < 3) yield break;
        var candidates = new List<(int Sentence, string Span)>();
        for (int i = 0; i < sentences.Length; i++)
        {
            if (sentences[i].Split(' ').Length > MaxQuestionWords) continue;
            foreach (var span in Spans(sentences[i]).Distinct())
                if (Enumerable.Range(0, sentences.Length).Any(j => j != i && Occurrences(sentences[j], span).Any()))
                    candidates.Add((i, span));
        }
        var usedSpans = new HashSet<string>();
        foreach (var (sentence, span) in candidates.OrderBy(_ => random.Next()))
        {
            if (!usedSpans.Add(span)) continue;
            var context = string.Join(" ", sentences.Where((_, k) => k != sentence));
            var answers = Occurrences(context, span).Select(start => new SquadAnswer(span, start)).ToArray();
            yield return (context, Question(sentences[sentence], span), answers);
        }
    }

    /// <summary>The sentence as a question: the span's first occurrence replaced by a wh-word, a question mark at the end.</summary>
    static string Question(string sentence, string span)
    {
        string wh = Year().IsMatch(span) ? "when" : Number().IsMatch(span) ? "how many" : "what";
        int at = Occurrences(sentence, span).First();
        var text = sentence[..at] + wh + sentence[(at + span.Length)..];
        return text.TrimEnd('.', '!', ' ') + "?";
    }

    /// <summary>Candidate answers of a sentence: runs of capitalised words or numbers (names, places, dates, counts),
    /// the sentence's first word excluded when it is a common word.</summary>
    static IEnumerable<string> Spans(string sentence)
    {
        foreach (Match m in NameOrNumberRun().Matches(sentence))
        {
            var words = m.Value.Split(' ');
            if (m.Index == 0 && CommonFirstWords.Contains(words[0])) words = words[1..];
            if (words.Length == 0 || words.Length > 4) continue;
            var span = string.Join(" ", words);
            if (span.Length >= 2 && !CommonFirstWords.Contains(span)) yield return span;
        }
    }

    /// <summary>Start offsets of <paramref name="span"/> in <paramref name="text"/> as whole words.</summary>
    static IEnumerable<int> Occurrences(string text, string span)
    {
        for (int at = text.IndexOf(span, StringComparison.Ordinal); at >= 0; at = text.IndexOf(span, at + 1, StringComparison.Ordinal))
        {
            bool startsWord = at == 0 || !char.IsLetterOrDigit(text[at - 1]);
            bool endsWord = at + span.Length == text.Length || !char.IsLetterOrDigit(text[at + span.Length]);
            if (startsWord && endsWord) yield return at;
        }
    }

    /// <summary>Longer sentences are not asked: SQuAD's questions average 11 words, and a long question leaves a window
    /// little room for the context.</summary>
    public const int MaxQuestionWords = 30;

    static readonly HashSet<string> CommonFirstWords = new(StringComparer.Ordinal)
    {
        "The", "A", "An", "It", "In", "On", "At", "He", "She", "They", "We", "This", "That", "These", "Those", "His", "Her", "Its",
        "Their", "There", "When", "After", "Before", "During", "However", "Although", "While", "As", "By", "For", "From", "Of",
        "To", "With", "And", "But", "Or", "If", "Following", "Despite", "Since", "Also", "According", "I", "One", "Some", "Many",
    };

    [GeneratedRegex(@"(?<=[.!?])\s+(?=[A-Z0-9""(])")]
    private static partial Regex SentenceBreak();

    [GeneratedRegex(@"\b(?:[A-Z][\w'-]*|\d[\d,.]*\d|\d)(?: (?:[A-Z][\w'-]*|\d[\d,.]*\d|\d))*\b")]
    private static partial Regex NameOrNumberRun();

    [GeneratedRegex(@"^(1[0-9]{3}|20[0-9]{2})$")]
    private static partial Regex Year();

    [GeneratedRegex(@"^\d[\d,.]*$")]
    private static partial Regex Number();
}
