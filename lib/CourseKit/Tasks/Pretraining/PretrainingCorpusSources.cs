using CourseKit.Data;

namespace CourseKit.Tasks.Pretraining;

/// <summary>One text source of the pretraining corpus: its name, the data set it needs, and how to read its
/// "sentences" (a unit of running text: a paragraph, a speech, a sentence).</summary>
public sealed record PretrainingSource(string Name, string Dataset, Func<DataRegistry, IEnumerable<string>> ReadSentences);

/// <summary>The course's bundled unlabelled text, as pretraining sources.</summary>
public static class PretrainingCorpusSources
{
    public const string WikiText2Valid = "wikitext-2-valid", WikiText2Test = "wikitext-2-test", TinyShakespeare = "tiny-shakespeare",
        Sst2Train = "sst2-train", FinancialPhraseBank = "financial-phrasebank", Conll2003Train = "conll2003-train";

    /// <summary>All sources, in corpus order. SST-2, Financial PhraseBank and CoNLL-2003 are not committed: they are used
    /// when their data has been fetched.</summary>
    public static IReadOnlyList<PretrainingSource> All { get; } =
    [
        new(WikiText2Valid, "wikitext-2", r => WikiTextParagraphs(TextCorpora.WikiText2Lines("valid", r))),
        new(WikiText2Test, "wikitext-2", r => WikiTextParagraphs(TextCorpora.WikiText2Lines("test", r))),
        new(TinyShakespeare, "tiny-shakespeare", r => ShakespeareSpeeches(TextCorpora.TinyShakespeare(r))),
        // SST-2's train split holds many sub-phrases of the same review; exact repeats are dropped.
        new(Sst2Train, "sst2-glue", r => Sst2.Load("train", r).Select(e => e.Sentence).Distinct(StringComparer.Ordinal)),
        new(FinancialPhraseBank, "financial-phrasebank",
            r => Data.FinancialPhraseBank.Load(PhraseBankAgreement.AtLeast50, r).Select(e => e.Sentence).Distinct(StringComparer.Ordinal)),
        new(Conll2003Train, "conll2003", r => ConllSentences(r.Require("conll2003").File("iob2/train.txt"))),
    ];

    public static PretrainingSource Get(string name) => All.FirstOrDefault(s => s.Name == name)
        ?? throw new ArgumentException($"Unknown pretraining source '{name}'. Known: {string.Join(", ", All.Select(s => s.Name))}.", nameof(name));

    /// <summary>WikiText-2 paragraphs: article and section titles (" = Title = ") and blank lines dropped, the
    /// tokenizer's split markers (" @-@ ", " @,@ ", " @.@ ") joined back.</summary>
    public static IEnumerable<string> WikiTextParagraphs(IEnumerable<string> lines)
    {
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || (line.StartsWith('=') && line.EndsWith('='))) continue;
            yield return TextCorpora.JoinWikiTextMarkers(line);
        }
    }

    /// <summary>Tiny Shakespeare as speeches: blocks separated by blank lines ("NAME:\nline\nline"), lines joined by spaces.</summary>
    public static IEnumerable<string> ShakespeareSpeeches(string text)
    {
        foreach (var block in text.Replace("\r\n", "\n").Split("\n\n"))
        {
            var speech = string.Join(' ', block.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            if (speech.Length > 0) yield return speech;
        }
    }

    /// <summary>The words of a CoNLL file's sentences (first column; sentences end at blank lines; -DOCSTART- lines
    /// skipped), joined by spaces. Kept minimal and in one place so the course's CoNLL reader can replace it.</summary>
    public static IEnumerable<string> ConllSentences(string path)
    {
        var words = new List<string>();
        foreach (var (number, line) in LineReader.LinesOfFile(path))
        {
            if (line.StartsWith("-DOCSTART-", StringComparison.Ordinal)) continue;
            if (string.IsNullOrWhiteSpace(line))
            {
                if (words.Count > 0) yield return string.Join(' ', words);
                words.Clear();
                continue;
            }
            var word = line.Split(' ', 2)[0];
            if (word.Length == 0) throw new DataFormatException(path, number, "a token line starts with a space.");
            words.Add(word);
        }
        if (words.Count > 0) yield return string.Join(' ', words);
    }
}
