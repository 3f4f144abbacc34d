using System.Text.RegularExpressions;

namespace CourseKit.Data;

/// <summary>Unlabelled text for language modelling: Tiny Shakespeare and WikiText-2 (valid/test).</summary>
public static partial class TextCorpora
{
    /// <summary>The whole Tiny Shakespeare text (1,115,394 ASCII characters).</summary>
    public static string TinyShakespeare(DataRegistry? registry = null) =>
        File.ReadAllText((registry ?? DataRegistry.Default).Require("tiny-shakespeare").File("input.txt"));

    /// <summary>The lines of a WikiText-2 split ("valid" or "test"; the train split is not in the course data),
    /// exactly as in the file: article titles like " = Title = ", blank lines and <c>&lt;unk&gt;</c> tokens included.</summary>
    public static IReadOnlyList<string> WikiText2Lines(string split = "valid", DataRegistry? registry = null)
    {
        var file = split switch
        {
            "valid" or "validation" => "wiki.valid.tokens",
            "test" => "wiki.test.tokens",
            "train" => throw new ArgumentException(
                "The WikiText-2 train split is not part of the course data (see datasets/wikitext-2/SOURCE.md); use 'valid' or 'test'.", nameof(split)),
            _ => throw new ArgumentException($"Unknown WikiText-2 split '{split}': use 'valid' or 'test'.", nameof(split)),
        };
        return File.ReadAllLines((registry ?? DataRegistry.Default).Require("wikitext-2").File(file));
    }

    /// <summary>
    /// WikiText-2 lines as articles of plain-text paragraphs: " = Title = " starts an article, section headings and
    /// blank lines are dropped, the tokenisation is undone (" @-@ " → "-", " , " → ", ", "( x )" → "(x)") and each
    /// &lt;unk&gt; (a rare word WikiText replaced) becomes the lower-case word "unk": never a name, so never an answer.
    /// </summary>
    public static IReadOnlyList<(string Title, IReadOnlyList<string> Paragraphs)> WikiTextArticles(IEnumerable<string> lines)
    {
        var articles = new List<(string, IReadOnlyList<string>)>();
        string? title = null;
        var paragraphs = new List<string>();
        void Flush() { if (title is not null && paragraphs.Count > 0) articles.Add((title, paragraphs.ToArray())); paragraphs.Clear(); }
        foreach (var line in lines)
        {
            var text = line.Trim();
            if (text.Length == 0) continue;
            if (ArticleTitle().Match(text) is { Success: true } m) { Flush(); title = Detokenize(m.Groups[1].Value); continue; }
            if (text.StartsWith("= ", StringComparison.Ordinal)) continue;   // a section heading
            paragraphs.Add(Detokenize(text.Replace("<unk>", "unk", StringComparison.Ordinal)));
        }
        Flush();
        return articles;
    }

    /// <summary>WikiText's split markers joined back: " @-@ " → "-", " @,@ " → ",", " @.@ " → "." (the rest of its
    /// tokenisation left as it is).</summary>
    public static string JoinWikiTextMarkers(string text) => SplitMarker().Replace(text, "$1");

    /// <summary>WikiText's tokenised text back to ordinary spacing.</summary>
    public static string Detokenize(string text)
    {
        text = SpaceBeforeClosing().Replace(JoinWikiTextMarkers(text), "$1");
        return SpaceAfterOpening().Replace(text, "$1").Trim();
    }

    [GeneratedRegex(@" @([-,.])@ ")]
    private static partial Regex SplitMarker();

    [GeneratedRegex(@"^= ([^=].*[^=]) =$")]
    private static partial Regex ArticleTitle();

    [GeneratedRegex(@" ([,.;:!?)\]']|'s\b|n't\b)")]
    private static partial Regex SpaceBeforeClosing();

    [GeneratedRegex(@"([(\[]) ")]
    private static partial Regex SpaceAfterOpening();
}
