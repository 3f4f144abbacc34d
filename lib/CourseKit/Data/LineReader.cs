namespace CourseKit.Data;

/// <summary>Splits text into lines (LF or CRLF) with 1-based line numbers, for loaders that report bad lines.</summary>
internal static class LineReader
{
    public static IEnumerable<(int Number, string Text)> Lines(string text)
    {
        var number = 0;
        using var reader = new StringReader(text);
        while (reader.ReadLine() is { } line) yield return (++number, line);
    }

    /// <summary>The lines of a UTF-8 file, read lazily; the file is closed when the enumeration ends.</summary>
    public static IEnumerable<(int Number, string Text)> LinesOfFile(string path)
    {
        var number = 0;
        using var reader = File.OpenText(path);
        while (reader.ReadLine() is { } line) yield return (++number, line);
    }

    /// <summary>The lines of a file after its header line, which must read <paramref name="header"/> (a UTF-8 byte
    /// order mark before it is allowed: spreadsheet exports write one).</summary>
    public static IEnumerable<(int Number, string Text)> LinesAfterHeader(string path, string header)
    {
        foreach (var (number, line) in LinesOfFile(path))
        {
            if (number > 1) yield return (number, line);
            else if (line.TrimStart('\uFEFF') != header)
                throw new DataFormatException(path, 1, $"expected the header '{header.Replace("\t", "<TAB>")}', got '{Shorten(line)}'.");
        }
    }

    /// <summary>A line as quoted in an error message: at most 80 characters.</summary>
    public static string Shorten(string s) => s.Length <= 80 ? s : s[..77] + "...";
}
