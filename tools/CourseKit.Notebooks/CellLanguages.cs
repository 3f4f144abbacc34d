namespace CourseKit.Notebooks;

/// <summary>Polyglot's language names (kernel names and #! cell magics), folded to one spelling each.</summary>
public static class CellLanguages
{
    public const string CSharp = "csharp";
    public const string Markdown = "markdown";

    static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["csharp"] = CSharp, ["c#"] = CSharp, ["cs"] = CSharp,
        ["markdown"] = Markdown, ["md"] = Markdown,
        ["fsharp"] = "fsharp", ["f#"] = "fsharp", ["fs"] = "fsharp",
        ["pwsh"] = "pwsh", ["powershell"] = "pwsh",
        ["javascript"] = "javascript", ["js"] = "javascript",
        ["html"] = "html", ["sql"] = "sql", ["kql"] = "kql", ["mermaid"] = "mermaid", ["http"] = "http", ["value"] = "value",
    };

    public static string Normalize(string name) => Aliases.TryGetValue(name.Trim(), out var n) ? n : name.Trim().ToLowerInvariant();

    /// <summary>True for a "#!name" line that switches language (as opposed to a magic command like #!time).</summary>
    public static bool IsLanguageMagic(string name) => Aliases.ContainsKey(name.Trim());
}
