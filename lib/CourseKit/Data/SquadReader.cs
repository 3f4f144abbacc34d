using System.Text.Json;

namespace CourseKit.Data;

/// <summary>A SQuAD-format file that cannot be used; the message names the file and, where known, the question id.</summary>
public sealed class SquadFormatException : FormatException
{
    public string FilePath { get; }
    public string? QuestionId { get; }

    public SquadFormatException(string filePath, string? questionId, string problem, Exception? inner = null)
        : base($"{filePath}{(questionId is null ? "" : $": question {questionId}")}: {problem}", inner)
    {
        FilePath = filePath;
        QuestionId = questionId;
    }
}

/// <summary>
/// Reads SQuAD v1.1-format JSON (<c>{"data": [{"title", "paragraphs": [{"context", "qas": [{"id", "question",
/// "answers": [{"text", "answer_start"}]}]}]}]}</c>): XQuAD, SQuAD itself, or a file a user brings. Every answer is
/// checked against its context (the text must be found at answer_start), so a bad offset fails here, naming the file
/// and the question, instead of turning into silently wrong training labels.
/// </summary>
public static class SquadReader
{
    public static SquadDataset Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"SQuAD file not found: {path}", path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <param name="source">the file's name for messages.</param>
    public static SquadDataset Parse(string json, string source)
    {
        JsonDocument document;
        try { document = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new SquadFormatException(source, null, $"not valid JSON (line {e.LineNumber + 1}: {e.Message})", e); }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
                throw new SquadFormatException(source, null, "no \"data\" array at the top level (not a SQuAD-format file)");
            var articles = new List<SquadArticle>();
            int paragraphIndex = 0;
            foreach (var article in data.EnumerateArray())
            {
                var paragraphs = new List<SquadParagraph>();
                foreach (var paragraph in Array(article, "paragraphs", source, null, $"article {articles.Count}"))
                    paragraphs.Add(ReadParagraph(paragraph, source, articles.Count, paragraphIndex++));
                var title = article.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : $"article {articles.Count}";
                articles.Add(new SquadArticle(title, paragraphs, articles.Count));
            }
            RequireUniqueIds(articles, source);
            return new SquadDataset(source, articles);
        }
    }

    /// <summary>Predictions and scores are matched by question id (as the official script does): a repeated id would
    /// merge two questions' windows into one answer.</summary>
    static void RequireUniqueIds(IReadOnlyList<SquadArticle> articles, string source)
    {
        var seen = new Dictionary<string, SquadQuestion>(StringComparer.Ordinal);
        foreach (var question in articles.SelectMany(a => a.Paragraphs).SelectMany(p => p.Questions))
            if (!seen.TryAdd(question.Id, question))
                throw new SquadFormatException(source, question.Id, $"the id is used twice (paragraphs {seen[question.Id].ParagraphIndex} and " +
                    $"{question.ParagraphIndex}): question ids must be unique, answers are matched to questions by id");
    }

    static SquadParagraph ReadParagraph(JsonElement paragraph, string source, int articleIndex, int paragraphIndex)
    {
        string where = $"paragraph {paragraphIndex}";
        var context = String(paragraph, "context", source, null, where);
        var questions = new List<SquadQuestion>();
        foreach (var qa in Array(paragraph, "qas", source, null, where))
        {
            var id = String(qa, "id", source, null, $"{where}, question {questions.Count}");
            var question = String(qa, "question", source, id, where);
            var answers = new List<SquadAnswer>();
            foreach (var answer in Array(qa, "answers", source, id, where))
            {
                var text = String(answer, "text", source, id, "answer");
                if (!answer.TryGetProperty("answer_start", out var s) || s.ValueKind != JsonValueKind.Number || !s.TryGetInt32(out var start))
                    throw new SquadFormatException(source, id, "an answer has no integer \"answer_start\"");
                answers.Add(new SquadAnswer(text, Locate(context, text, start, source, id)));
            }
            if (answers.Count == 0) throw new SquadFormatException(source, id, "no answers (SQuAD v1.1 questions all have one; v2.0 unanswerable questions are not supported)");
            questions.Add(new SquadQuestion(id, question, answers, articleIndex, paragraphIndex));
        }
        return new SquadParagraph(context, questions, articleIndex, paragraphIndex);
    }

    /// <summary>The UTF-16 start of the answer. SQuAD's offsets count Python characters (code points): they equal
    /// UTF-16 indices unless the context has characters outside the BMP before the answer, so that reading is tried too.</summary>
    static int Locate(string context, string text, int start, string source, string id)
    {
        if (start >= 0 && start + text.Length <= context.Length && string.CompareOrdinal(context, start, text, 0, text.Length) == 0)
            return start;
        int utf16 = CodePointToUtf16(context, start);
        if (utf16 >= 0 && utf16 + text.Length <= context.Length && string.CompareOrdinal(context, utf16, text, 0, text.Length) == 0)
            return utf16;
        var found = start >= 0 && start < context.Length ? context.Substring(start, Math.Min(text.Length, context.Length - start)) : "(outside the context)";
        throw new SquadFormatException(source, id, $"answer \"{text}\" is not at answer_start {start} of its context (found \"{found}\")");
    }

    static int CodePointToUtf16(string s, int codePoints)
    {
        if (codePoints < 0) return -1;
        int i = 0;
        for (int k = 0; k < codePoints && i < s.Length; k++) i += char.IsSurrogatePair(s, i) ? 2 : 1;
        return i;
    }

    static string String(JsonElement e, string name, string source, string? id, string where) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : throw new SquadFormatException(source, id, $"{where}: missing string field \"{name}\"");

    static JsonElement.ArrayEnumerator Array(JsonElement e, string name, string source, string? id, string where) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray()
            : throw new SquadFormatException(source, id, $"{where}: missing array field \"{name}\"");
}
