using System.Text;
using CourseKit.Data;

namespace CourseKit.Metrics;

/// <summary>One evaluated sentence: words (may be empty strings when the file has only tag columns), gold and
/// predicted tags, and the 1-based line of its first word (0 when not read from a file).</summary>
public sealed record TaggedSentence(IReadOnlyList<string> Words, IReadOnlyList<string> Gold, IReadOnlyList<string> Predicted, int FirstLine = 0);

/// <summary>
/// conlleval's input format: one word per line, whitespace-separated columns with the gold tag and the predicted tag
/// as the last two, blank lines between sentences. Lines whose first column is <c>-DOCSTART-</c> or conlleval's
/// boundary <c>-X-</c> end the sentence and are not counted (conlleval itself counts -DOCSTART- lines as O/O tokens,
/// which changes its accuracy but no entity score). Tags must be O, B-TYPE or I-TYPE; every line must have the same
/// number of columns (as conlleval demands). Errors are <see cref="DataFormatException"/>s with file and line.
/// </summary>
public static class ConllevalFile
{
    public static IReadOnlyList<TaggedSentence> Read(string path) => Parse(File.ReadAllText(path), path);

    public static IReadOnlyList<TaggedSentence> Parse(string text, string sourceName)
    {
        var sentences = new List<TaggedSentence>();
        var words = new List<string>(); var gold = new List<string>(); var predicted = new List<string>();
        int firstLine = 0, columns = -1, columnsLine = 0, number = 0;

        void Flush()
        {
            if (words.Count > 0) sentences.Add(new TaggedSentence(words.ToArray(), gold.ToArray(), predicted.ToArray(), firstLine));
            words.Clear(); gold.Clear(); predicted.Clear();
        }

        using var reader = new StringReader(text);
        while (reader.ReadLine() is { } line)
        {
            number++;
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0) { Flush(); continue; }
            if (fields[0] is "-DOCSTART-" or "-X-") { Flush(); continue; }
            if (fields.Length < 2)
                throw new DataFormatException(sourceName, number, $"expected at least 2 columns (… gold predicted), got 1: '{Shorten(line)}'.");
            if (columns < 0) { columns = fields.Length; columnsLine = number; }
            else if (fields.Length != columns)
                throw new DataFormatException(sourceName, number, $"{fields.Length} columns where line {columnsLine} has {columns}.");
            string g = fields[^2], p = fields[^1];
            if (!TagSchemes.IsIobTag(g)) throw new DataFormatException(sourceName, number, $"unknown gold tag '{Shorten(g)}' (expected O, B-TYPE or I-TYPE).");
            if (!TagSchemes.IsIobTag(p)) throw new DataFormatException(sourceName, number, $"unknown predicted tag '{Shorten(p)}' (expected O, B-TYPE or I-TYPE).");
            if (words.Count == 0) firstLine = number;
            words.Add(fields.Length > 2 ? fields[0] : "");
            gold.Add(g);
            predicted.Add(p);
        }
        Flush();
        if (sentences.Count == 0) throw new DataFormatException(sourceName, Math.Max(number, 1), "no tagged words.");
        return sentences;
    }

    /// <summary>Writes sentences as <c>word gold predicted</c> lines with a blank line after each sentence.</summary>
    public static void Write(string path, IEnumerable<TaggedSentence> sentences)
    {
        var sb = new StringBuilder();
        foreach (var s in sentences)
        {
            if (s.Gold.Count != s.Words.Count || s.Predicted.Count != s.Words.Count)
                throw new ArgumentException($"sentence at line {s.FirstLine}: words, gold and predicted differ in length.", nameof(sentences));
            for (int i = 0; i < s.Words.Count; i++)
            {
                var word = s.Words[i];
                if (word.Length == 0 || word.Any(char.IsWhiteSpace))
                    throw new ArgumentException($"word '{word}' is empty or has white space: it cannot be a column.", nameof(sentences));
                sb.Append(word).Append(' ').Append(s.Gold[i]).Append(' ').Append(s.Predicted[i]).Append('\n');
            }
            sb.Append('\n');
        }
        File.WriteAllText(path, sb.ToString(), new UTF8Encoding(false));
    }

    static string Shorten(string s) => s.Length <= 80 ? s : s[..77] + "...";
}
