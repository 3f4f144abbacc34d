using System.Text;

namespace CourseKit.Checkpoints;

/// <summary>
/// MODEL_CARD.md as Hugging Face writes model cards: a YAML front matter of simple <c>key: value</c> lines between
/// <c>---</c> lines (license, source, …), then Markdown. Only flat string fields are written and read back.
/// </summary>
public static class ModelCard
{
    public static void Write(string path, IReadOnlyDictionary<string, string> fields, string body)
    {
        var text = new StringBuilder("---\n");
        foreach (var (key, value) in fields)
        {
            if (key.Contains(':') || key.Contains('\n')) throw new ArgumentException($"model card key '{key}' must be one word");
            text.Append(key).Append(": ").Append(Quote(value)).Append('\n');
        }
        text.Append("---\n\n").Append(body.TrimEnd()).Append('\n');
        AtomicFile.WriteAllText(path, text.ToString());
    }

    /// <summary>The front-matter fields of a card; empty when the file is missing or has none.</summary>
    public static Dictionary<string, string> ReadFields(string path)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path)) return fields;
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0].Trim() != "---") return fields;
        foreach (var line in lines.Skip(1))
        {
            if (line.Trim() == "---") break;
            int colon = line.IndexOf(':');
            if (colon <= 0) continue;
            fields[line[..colon].Trim()] = Unquote(line[(colon + 1)..].Trim());
        }
        return fields;
    }

    // Values are written as JSON-style double-quoted strings, which YAML reads the same way.
    static string Quote(string value) => System.Text.Json.JsonSerializer.Serialize(value.ReplaceLineEndings(" "));

    static string Unquote(string value)
    {
        if (value.Length < 2 || value[0] != '"' || value[^1] != '"') return value;
        try { return System.Text.Json.JsonSerializer.Deserialize<string>(value) ?? value; }
        catch (System.Text.Json.JsonException) { return value; }
    }
}
