namespace CourseKit.Data;

/// <summary>One gold answer: its text and where it starts in the paragraph (UTF-16 index, checked on load).</summary>
public sealed record SquadAnswer(string Text, int Start)
{
    public int End => Start + Text.Length;
}

/// <summary>A question about one paragraph, with its gold answers (one in XQuAD, up to a few in SQuAD dev).</summary>
public sealed record SquadQuestion(string Id, string Question, IReadOnlyList<SquadAnswer> Answers, int ArticleIndex, int ParagraphIndex)
{
    public IEnumerable<string> AnswerTexts => Answers.Select(a => a.Text);
}

/// <summary>A context paragraph; <see cref="Index"/> is its position among all paragraphs of the file.</summary>
public sealed record SquadParagraph(string Context, IReadOnlyList<SquadQuestion> Questions, int ArticleIndex, int Index);

public sealed record SquadArticle(string Title, IReadOnlyList<SquadParagraph> Paragraphs, int Index);

/// <summary>
/// A SQuAD v1.1-format file held as articles → paragraphs → questions. Splits are made by article (see
/// <see cref="SquadSplits"/>): the questions of one paragraph share its text, and the paragraphs of one article share
/// names and facts, so splitting by question would let the test set leak into training.
/// </summary>
public sealed class SquadDataset
{
    public SquadDataset(string source, IReadOnlyList<SquadArticle> articles)
    {
        Source = source;
        Articles = articles;
        Paragraphs = articles.SelectMany(a => a.Paragraphs).ToArray();
        Questions = Paragraphs.SelectMany(p => p.Questions).ToArray();
        _paragraphById = Paragraphs.ToDictionary(p => p.Index);
    }

    readonly Dictionary<int, SquadParagraph> _paragraphById;

    /// <summary>Where it was read from (a path), for messages.</summary>
    public string Source { get; }
    public IReadOnlyList<SquadArticle> Articles { get; }
    public IReadOnlyList<SquadParagraph> Paragraphs { get; }
    public IReadOnlyList<SquadQuestion> Questions { get; }

    /// <summary>The paragraph a question is asked about.</summary>
    public SquadParagraph ParagraphOf(SquadQuestion question) => _paragraphById[question.ParagraphIndex];

    /// <summary>The articles at <paramref name="articleIndices"/> (their original indices kept), as a dataset of their own.</summary>
    public SquadDataset Subset(IEnumerable<int> articleIndices, string? name = null)
    {
        var keep = articleIndices.ToHashSet();
        return new SquadDataset(name ?? Source, Articles.Where(a => keep.Contains(a.Index)).ToArray());
    }
}

/// <summary>The XQuAD files of the registry (<c>xquad</c>): 48 articles, 240 paragraphs, 1,190 questions per language.</summary>
public static class Xquad
{
    /// <summary>The file of one language ("en", "zh").</summary>
    public static string File(string language = "en", DataRegistry? registry = null) =>
        (registry ?? DataRegistry.Default).Require("xquad").File($"xquad.{language}.json");

    public static SquadDataset Load(string language = "en", DataRegistry? registry = null) => SquadReader.Load(File(language, registry));

    /// <summary>A SQuAD v1.1 leaderboard prediction file ("bert-ensemble", "logistic-regression").</summary>
    public static string LeaderboardPredictions(string model, DataRegistry? registry = null) =>
        (registry ?? DataRegistry.Default).Require("xquad").File($"leaderboard-predictions/squad-v1.1-dev.{model}.json");
}
