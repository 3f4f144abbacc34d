using System.Text;
using System.Text.RegularExpressions;

namespace CourseKit.Notebooks;

/// <summary>A `#r "nuget: Name, Version"` line.</summary>
public sealed record NuGetReference(string Name, string? Version, int Line);

/// <summary>A `#r "path.dll"` line (the path as written).</summary>
public sealed record FileReference(string Path, int Line);

/// <summary>A code cell split into its language, its directives and the C# left to compile. Directive lines are
/// replaced by empty lines, so line N of <see cref="Code"/> is line N of the cell.</summary>
public sealed record CellDirectives(
    string Language,
    string Code,
    IReadOnlyList<NuGetReference> Packages,
    IReadOnlyList<FileReference> Files,
    IReadOnlyList<string> Notes)
{
    static readonly Regex RefLine = new(@"^#r\s+""(?<arg>[^""]*)""\s*(//.*)?$", RegexOptions.Compiled);
    static readonly Regex SourceLine = new(@"^#i\s+""(?<arg>[^""]*)""\s*(//.*)?$", RegexOptions.Compiled);
    static readonly Regex MagicLine = new(@"^#!(?<name>\S+)", RegexOptions.Compiled);

    /// <summary>Reads a code cell. <paramref name="fallbackLanguage"/> is the cell's metadata language or the
    /// notebook default; a "#!lang" first line overrides it. <paramref name="cellLabel"/> names the cell in errors.</summary>
    public static CellDirectives Parse(string source, string fallbackLanguage, string cellLabel)
    {
        var lines = source.Replace("\r\n", "\n").Split('\n');
        var language = CellLanguages.Normalize(fallbackLanguage);
        var first = lines[0].Trim();
        var firstMagic = MagicLine.Match(first);
        if (firstMagic.Success && CellLanguages.IsLanguageMagic(firstMagic.Groups["name"].Value))
        {
            language = CellLanguages.Normalize(firstMagic.Groups["name"].Value);
            lines[0] = "";
        }
        var packages = new List<NuGetReference>();
        var files = new List<FileReference>();
        var notes = new List<string>();
        if (language != CellLanguages.CSharp)
            return new CellDirectives(language, string.Join("\n", lines), packages, files, notes);

        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            var lineNo = i + 1;
            if (!line.StartsWith('#')) continue;
            if (MagicLine.Match(line) is { Success: true } magic)
            {
                var name = magic.Groups["name"].Value;
                throw new NotebookDirectiveException(CellLanguages.IsLanguageMagic(name)
                    ? $"{cellLabel}, line {lineNo}: '#!{name}' switches to {CellLanguages.Normalize(name)} inside a C# cell; the CourseKit runner runs C# only (put other languages in their own cell, or drop them)"
                    : $"{cellLabel}, line {lineNo}: the magic command '#!{name}' is not supported by the CourseKit runner");
            }
            if (RefLine.Match(line) is { Success: true } r)
            {
                var arg = r.Groups["arg"].Value.Trim();
                if (arg.StartsWith("nuget:", StringComparison.OrdinalIgnoreCase))
                {
                    var parts = arg["nuget:".Length..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                    if (parts.Length is 0 or > 2)
                        throw new NotebookDirectiveException($"{cellLabel}, line {lineNo}: expected #r \"nuget: Name, Version\", got '{line}'");
                    packages.Add(new NuGetReference(parts[0], parts.Length == 2 ? parts[1] : null, lineNo));
                }
                else files.Add(new FileReference(arg, lineNo));
                lines[i] = "";
            }
            else if (SourceLine.Match(line) is { Success: true } src)
            {
                notes.Add($"{cellLabel}, line {lineNo}: #i \"{src.Groups["arg"].Value}\" ignored (packages come from the kit's pinned set)");
                lines[i] = "";
            }
        }
        return new CellDirectives(language, string.Join("\n", lines), packages, files, notes);
    }
}

public sealed class NotebookDirectiveException : Exception
{
    public NotebookDirectiveException(string message) : base(message) { }
}
