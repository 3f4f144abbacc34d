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
}
