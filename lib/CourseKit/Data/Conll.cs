namespace CourseKit.Data;

/// <summary>
/// Reads CoNLL-2003 files: one word per line as <c>token POS chunk NER</c> (single spaces), blank lines between
/// sentences (several in a row count as one), <c>-DOCSTART-</c> lines between documents. NER tags must be
/// <see cref="NerLabels"/>; bad lines throw <see cref="DataFormatException"/> with the file and line.
/// </summary>
public static class Conll
{
    const string DocStart = "-DOCSTART-";

    /// <summary>Reads <paramref name="path"/>, whose tags are in <paramref name="fileScheme"/>, and returns the
    /// sentences with NER and chunk tags in <paramref name="outputScheme"/> (default: the file's). <paramref name="strict"/>:
    /// in an IOB2 file, an I-X after O, after another type or at a sentence start is an error. IOB1 files are not
    /// checked: the original CoNLL-2003 files have a few B-X after O (kept as B-X by the conversion).</summary>
    public static IReadOnlyList<ConllSentence> ReadFile(string path, TagScheme fileScheme = TagScheme.Iob2,
        TagScheme? outputScheme = null, bool strict = true) =>
        Parse(LineReader.LinesOfFile(path), path, fileScheme, outputScheme, strict);

    /// <summary>As <see cref="ReadFile"/> for text in memory; <paramref name="sourceName"/> names it in errors.</summary>
    public static IReadOnlyList<ConllSentence> ParseText(string text, string sourceName, TagScheme fileScheme = TagScheme.Iob2,
        TagScheme? outputScheme = null, bool strict = true) =>
        Parse(LineReader.Lines(text), sourceName, fileScheme, outputScheme, strict);

    static IReadOnlyList<ConllSentence> Parse(IEnumerable<(int Number, string Text)> lines, string source,
        TagScheme fileScheme, TagScheme? outputScheme, bool strict)
    {
        var to = outputScheme ?? fileScheme;
        var sentences = new List<ConllSentence>();
        var words = new List<string>(); var pos = new List<string>(); var chunk = new List<string>(); var tags = new List<string>();
        int document = -1, firstLine = 0;

        void Flush()
        {
            if (words.Count == 0) return;
            if (strict && fileScheme == TagScheme.Iob2 && TagSchemes.FindViolation(tags, fileScheme) is var (index, problem))
                throw new DataFormatException(source, firstLine + index, problem + $" ({fileScheme} strict mode).");
            string[] chunkTags;
            try { chunkTags = TagSchemes.Convert(chunk, fileScheme, to); }
            catch (FormatException e) { throw new DataFormatException(source, firstLine, $"chunk column: {e.Message}"); }
            sentences.Add(new ConllSentence(words.ToArray(), pos.ToArray(), chunkTags,
                TagSchemes.Convert(tags, fileScheme, to), Math.Max(document, 0), firstLine));
            words.Clear(); pos.Clear(); chunk.Clear(); tags.Clear();
        }

        foreach (var (number, line) in lines)
        {
            if (line.Length == 0) { Flush(); continue; }
            var fields = line.Split(' ');
            if (fields[0] == DocStart)
            {
                if (words.Count > 0)
                    throw new DataFormatException(source, number, "-DOCSTART- inside a sentence: a blank line must end the sentence before it.");
                // Sentences before the first -DOCSTART- (a file that does not open with one) are document 0 of their own.
                document = document < 0 && sentences.Count > 0 ? 1 : document + 1;
                continue;
            }
            if (fields.Length != 4)
                throw new DataFormatException(source, number, $"expected 4 space-separated columns (token POS chunk NER), got {fields.Length}: '{LineReader.Shorten(line)}'.");
            if (fields.Any(f => f.Length == 0))
                throw new DataFormatException(source, number, $"empty column (two spaces in a row, or a leading/trailing space): '{LineReader.Shorten(line)}'.");
            if (!NerLabels.IsKnown(fields[3]))
                throw new DataFormatException(source, number, $"unknown NER tag '{LineReader.Shorten(fields[3])}' (expected one of {string.Join(", ", NerLabels.All)}).");
            if (!TagSchemes.IsIobTag(fields[2]))
                throw new DataFormatException(source, number, $"chunk tag '{LineReader.Shorten(fields[2])}' is not O, B-TYPE or I-TYPE.");
            if (words.Count == 0) firstLine = number;
            words.Add(fields[0]); pos.Add(fields[1]); chunk.Add(fields[2]); tags.Add(fields[3]);
        }
        Flush();
        return sentences;
    }
}
