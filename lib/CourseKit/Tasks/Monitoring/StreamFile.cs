using System.Globalization;
using System.Text.Json;
using CourseKit.Data;

namespace CourseKit.Tasks.Monitoring;

/// <summary>One text of a monitored stream: when it appeared, where it came from, what it says, and where it was read
/// (file and 1-based line, so any later complaint can point at it).</summary>
public sealed record StreamRecord(DateTimeOffset Time, string Source, string Text, string File = "", int Line = 0)
{
    /// <summary>The UTC calendar day the daily index puts this text in.</summary>
    public DateOnly Day => DateOnly.FromDateTime(Time.UtcDateTime);
}

/// <summary>
/// Reads a stream file lazily, one row at a time, so a file of any length is scored in flat memory:
/// <list type="bullet">
/// <item>CSV (<c>.csv</c>): a header <c>time,source,text</c>, then one row per line (RFC 4180 quoting for commas and
/// quotes; a field cannot span lines, so <see cref="WriteCsv"/> writes a text's line breaks as spaces).</item>
/// <item>JSON Lines (<c>.jsonl</c>, <c>.ndjson</c>): one object per line with string fields time, source, text.</item>
/// </list>
/// A bad row (a time that is not ISO 8601 — 2024-03-01, 2024-03-01T09:30, 2024-03-01 09:30:00Z, with seconds' fractions or
/// an offset; 03/01/2024 is refused, being read as 1 March or 3 January depending on who wrote it —, an empty text, the wrong number of columns, a line that is not a JSON
/// object) throws <see cref="DataFormatException"/> naming the file and line: a monitor that silently skips rows
/// would report an index computed on data nobody looked at. Blank lines are skipped.
/// </summary>
public static class StreamFile
{
    public static readonly string[] CsvColumns = ["time", "source", "text"];

    public static IEnumerable<StreamRecord> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such stream file", path);
        var extension = Path.GetExtension(path).ToLowerInvariant();
        return extension switch
        {
            ".csv" => ReadCsv(path),
            ".jsonl" or ".ndjson" => ReadJsonLines(path),
            _ => throw new ArgumentException($"{path}: a stream file must be .csv (time,source,text) or .jsonl (one object per line), got '{extension}'"),
        };
    }

    static IEnumerable<StreamRecord> ReadCsv(string path)
    {
        foreach (var (number, line) in LineReader.LinesOfFile(path))
        {
            if (number == 1)
            {
                var header = CsvFields.Split(line.TrimStart('\uFEFF'), path, 1).Select(h => h.Trim().ToLowerInvariant()).ToArray();
                if (!header.SequenceEqual(CsvColumns))
                    throw new DataFormatException(path, 1, $"expected the header 'time,source,text', got '{LineReader.Shorten(line)}'.");
                continue;
            }
            if (string.IsNullOrWhiteSpace(line)) continue;
            var fields = CsvFields.Split(line, path, number);
            if (fields.Count != CsvColumns.Length)
                throw new DataFormatException(path, number, $"expected 3 columns (time, source, text), got {fields.Count}: '{LineReader.Shorten(line)}'.");
            yield return Record(fields[0], fields[1], fields[2], path, number);
        }
    }

    static IEnumerable<StreamRecord> ReadJsonLines(string path)
    {
        foreach (var (number, line) in LineReader.LinesOfFile(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            string? time, source, text;
            try
            {
                using var document = JsonDocument.Parse(line);
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                    throw new DataFormatException(path, number, $"expected a JSON object with time, source, text, got {document.RootElement.ValueKind}.");
                time = Field(document.RootElement, "time", path, number);
                source = Field(document.RootElement, "source", path, number) ?? "";
                text = Field(document.RootElement, "text", path, number);
            }
            catch (JsonException e)
            {
                throw new DataFormatException(path, number, $"not valid JSON ({e.Message.Split('.')[0]}): '{LineReader.Shorten(line)}'.");
            }
            if (time is null) throw new DataFormatException(path, number, "the object has no \"time\".");
            yield return Record(time, source, text ?? "", path, number);
        }
    }

    static string? Field(JsonElement row, string name, string path, int number)
    {
        if (!row.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.String ? value.GetString()
            : throw new DataFormatException(path, number, $"\"{name}\" must be a string, got {value.ValueKind}.");
    }

    static StreamRecord Record(string time, string source, string text, string path, int number)
    {
        if (!TryParseTime(time, out var when))
            throw new DataFormatException(path, number, $"time '{LineReader.Shorten(time)}' is not an ISO 8601 date or date-time (e.g. 2024-03-01 or 2024-03-01T09:30:00Z).");
        if (string.IsNullOrWhiteSpace(text)) throw new DataFormatException(path, number, "empty text.");
        return new StreamRecord(when, source.Trim(), text.Trim(), path, number);
    }

    /// <summary>ISO 8601 dates and date-times (T or a space between date and time; optional seconds, fractions and
    /// offset or Z); without an offset the time is taken as UTC. Anything else is refused, not guessed.</summary>
    public static bool TryParseTime(string text, out DateTimeOffset time) =>
        DateTimeOffset.TryParseExact(text.Trim(), IsoFormats, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);

    // "K" matches Z, an offset such as +02:00, or nothing.
    static readonly string[] IsoFormats = ["yyyy-MM-dd", "yyyy-MM-ddK",
        .. new[] { "T", " " }.SelectMany(separator => new[] { "HH:mm", "HH:mm:ss", "HH:mm:ss.FFFFFFF" }.Select(clock => $"yyyy-MM-dd'{separator}'{clock}K"))];

    /// <summary>Groups a lazy sequence into lists of <paramref name="size"/> (the last may be shorter), one list alive at a time.</summary>
    public static IEnumerable<IReadOnlyList<T>> Batches<T>(IEnumerable<T> items, int size)
    {
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "batch size must be >= 1");
        var batch = new List<T>(size);
        foreach (var item in items)
        {
            batch.Add(item);
            if (batch.Count < size) continue;
            yield return batch;
            batch = new List<T>(size);
        }
        if (batch.Count > 0) yield return batch;
    }

    /// <summary>Writes records as a CSV stream file (quoting where needed), e.g. a simulated week for the notebook.</summary>
    public static void WriteCsv(string path, IEnumerable<StreamRecord> records)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(path));
        if (parent is not null) Directory.CreateDirectory(parent);
        using var writer = new StreamWriter(path);
        writer.WriteLine("time,source,text");
        foreach (var r in records)
            writer.WriteLine($"{r.Time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)},{Quote(OneLine(r.Source))},{Quote(OneLine(r.Text))}");
    }

    static string OneLine(string field) => field.ReplaceLineEndings(" ");

    static string Quote(string field) => field.IndexOfAny([',', '"']) >= 0 ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;
}
