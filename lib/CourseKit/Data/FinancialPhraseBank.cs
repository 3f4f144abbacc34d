using Microsoft.Data.Analysis;

namespace CourseKit.Data;

public enum FinancialSentiment { Negative, Neutral, Positive }

/// <summary>How many of the 16 annotators had to agree for a sentence to be in the file.</summary>
public enum PhraseBankAgreement { All, AtLeast75, AtLeast66, AtLeast50 }

public sealed record PhraseBankExample(string Sentence, FinancialSentiment Label);

/// <summary>Loads Financial PhraseBank v1.0 files (<c>sentence@label</c> per line). The encoding is detected per file:
/// 50/66/75Agree are Latin-1 as released, AllAgree is UTF-8 in the course's copy.</summary>
public static class FinancialPhraseBank
{
    public static string FileName(PhraseBankAgreement agreement) => agreement switch
    {
        PhraseBankAgreement.All => "Sentences_AllAgree.txt",
        PhraseBankAgreement.AtLeast75 => "Sentences_75Agree.txt",
        PhraseBankAgreement.AtLeast66 => "Sentences_66Agree.txt",
        PhraseBankAgreement.AtLeast50 => "Sentences_50Agree.txt",
        _ => throw new ArgumentOutOfRangeException(nameof(agreement)),
    };

    public static IReadOnlyList<PhraseBankExample> Load(PhraseBankAgreement agreement, DataRegistry? registry = null) =>
        LoadFile((registry ?? DataRegistry.Default).Require("financial-phrasebank").File(FileName(agreement)));

    /// <summary>The highest agreement file each sentence appears in. The files nest (AllAgree ⊂ 75 ⊂ 66 ⊂ 50, as
    /// released), so a sentence is in every file at or below its highest; every sentence is in the 50 % file.</summary>
    public static IReadOnlyDictionary<string, PhraseBankAgreement> HighestAgreement(DataRegistry? registry = null)
    {
        var highest = new Dictionary<string, PhraseBankAgreement>(StringComparer.Ordinal);
        foreach (var level in new[] { PhraseBankAgreement.AtLeast50, PhraseBankAgreement.AtLeast66, PhraseBankAgreement.AtLeast75, PhraseBankAgreement.All })
            foreach (var example in Load(level, registry))
                highest[example.Sentence] = level;
        return highest;
    }

    /// <summary>Whether a sentence whose highest agreement is <paramref name="highest"/> is in <paramref name="file"/>
    /// (the enum runs from the strictest file, All, to the loosest, AtLeast50).</summary>
    public static bool IsIn(PhraseBankAgreement highest, PhraseBankAgreement file) => highest <= file;

    public static IReadOnlyList<PhraseBankExample> LoadFile(string path)
    {
        var text = TextEncodingDetector.ReadAllText(path, out _);
        var examples = new List<PhraseBankExample>();
        foreach (var (number, line) in LineReader.Lines(text))
        {
            // The label follows the last '@'; sentences themselves could contain one.
            var at = line.LastIndexOf('@');
            if (at < 0)
                throw new DataFormatException(path, number, $"expected 'sentence@label', found no '@' in '{LineReader.Shorten(line)}'.");
            var label = line[(at + 1)..].Trim() switch
            {
                "positive" => FinancialSentiment.Positive,
                "neutral" => FinancialSentiment.Neutral,
                "negative" => FinancialSentiment.Negative,
                var other => throw new DataFormatException(path, number, $"label must be positive, neutral or negative, got '{LineReader.Shorten(other)}'."),
            };
            var sentence = line[..at].Trim();
            if (sentence.Length == 0) throw new DataFormatException(path, number, "empty sentence.");
            examples.Add(new PhraseBankExample(sentence, label));
        }
        return examples;
    }

    /// <summary>Columns <c>sentence</c> (string) and <c>label</c> (string: positive / neutral / negative).</summary>
    public static DataFrame ToDataFrame(IEnumerable<PhraseBankExample> examples)
    {
        var list = examples as IReadOnlyList<PhraseBankExample> ?? examples.ToList();
        return new DataFrame(
            new StringDataFrameColumn("sentence", list.Select(e => e.Sentence)),
            new StringDataFrameColumn("label", list.Select(e => e.Label.ToString().ToLowerInvariant())));
    }
}
