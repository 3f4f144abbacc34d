using System.Text;
using System.Text.Json.Nodes;

namespace CourseKit.Notebooks.Apps;

/// <summary>A notebook as a .NET 10 file-based app (`dotnet run apps/NN.cs`): one .cs file, generated, never edited.
/// Cells keep their order; the parameters cell reads the command line (ChapterApp); display goes to ChapterApp's sink.</summary>
public static class AppExporter
{
    /// <summary>The variable the generated app keeps its command line in (a notebook may not use the name).</summary>
    public const string ArgsVariable = "chapterArgs";

    /// <summary>The app's text for <paramref name="doc"/>, written into <paramref name="outDir"/> (for relative
    /// #:project paths) from <paramref name="repoRoot"/>. Throws NotebookDirectiveException naming cell and line.</summary>
    public static string Export(NotebookDocument doc, string repoRoot, string outDir)
    {
        var name = Path.GetFileNameWithoutExtension(doc.Path ?? "notebook");
        var notebookRel = Rel(repoRoot, doc.Path ?? name + ".ipynb");
        var packages = new List<(string Name, string Version)>();
        var projects = new List<string>();
        var usings = new List<string>(ScriptSession.DefaultImports.Select(n => $"using {n};"));
        var body = new StringBuilder();
        var types = new List<string>();
        var declared = new Dictionary<string, string>(StringComparer.Ordinal) { [ArgsVariable] = "the app itself" };
        var topLevelNames = TopLevelNames(doc);
        var codeIndex = 0;
        for (var i = 0; i < doc.Cells.Count; i++)
        {
            var cell = doc.Cells[i];
            if (cell.CellType == "markdown") { AppendMarkdown(body, cell.Source); continue; }
            if (cell.CellType != "code") continue;
            codeIndex++;
            var label = $"{name}, cell {i + 1} (code cell {codeIndex})";
            var directives = CellDirectives.Parse(cell.Source, cell.MetadataLanguage ?? doc.DefaultLanguage, label);
            if (directives.Language == CellLanguages.Markdown) { AppendMarkdown(body, directives.Code); continue; }
            if (directives.Language != CellLanguages.CSharp)
                throw new NotebookDirectiveException($"{label}, line 1: a {directives.Language} cell cannot be part of a C# app");
            foreach (var package in directives.Packages)
            {
                var version = PackagePins.Check(package, label);
                if (!packages.Any(p => p.Name.Equals(package.Name, StringComparison.OrdinalIgnoreCase))) packages.Add((package.Name, version));
            }
            foreach (var file in directives.Files)
            {
                var project = ProjectFor(file, repoRoot, outDir, label);
                if (!projects.Contains(project)) projects.Add(project);
            }
            var isParameters = cell.Tags.Contains(NotebookParameters.ParametersTag);
            var translated = AppCellTranslator.Translate(directives.Code, isParameters ? ArgsVariable : null, label, topLevelNames);
            foreach (var declaredName in translated.DeclaredNames)
                if (!declared.TryAdd(declaredName, label))
                    throw new NotebookDirectiveException(
                        $"{label}, line 1: '{declaredName}' is declared again (first in {declared[declaredName]}); an app is one scope, so rename one of them");
            usings.AddRange(translated.Usings.Where(u => !usings.Contains(u)));
            types.AddRange(translated.Types);
            body.Append("// ---- cell ").Append(i + 1).Append(isParameters ? " (parameters: --profile, -p name=value, --seed)" : "").Append('\n');
            body.Append(translated.Statements.Trim('\n')).Append("\n\n");
            if (isParameters) body.Append(ArgsVariable).Append(".CheckAllKnown();\n\n");
        }
        return Assemble(doc, name, notebookRel, packages, projects, usings, body.ToString(), types, repoRoot, outDir);
    }

    /// <summary>Every name a cell declares at its top level, over the whole notebook (a block that reuses one is renamed).</summary>
    static HashSet<string> TopLevelNames(NotebookDocument doc)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var cell in doc.Cells.Where(c => c.CellType == "code"))
        {
            // A cell that does not parse here is reported, with its label, by the translation pass.
            try
            {
                var directives = CellDirectives.Parse(cell.Source, cell.MetadataLanguage ?? doc.DefaultLanguage, "cell");
                if (directives.Language == CellLanguages.CSharp) names.UnionWith(AppCellTranslator.TopLevelNames(directives.Code));
            }
            catch (NotebookDirectiveException) { }
        }
        return names;
    }

    static string Assemble(NotebookDocument doc, string name, string notebookRel, List<(string Name, string Version)> packages,
        List<string> projects, List<string> usings, string body, List<string> types, string repoRoot, string outDir)
    {
        var text = new StringBuilder();
        text.Append($"// <auto-generated> from {notebookRel} by `course export {notebookRel} --to app`; edit the notebook, not this file.\n");
        text.Append($"// Run: dotnet run {Rel(repoRoot, Path.Combine(outDir, name + ".cs"))} -- [--profile quick|full|none] [-p name=value] [--seed N] [--threads N]\n");
        foreach (var (package, version) in packages) text.Append($"#:package {package}@{version}\n");
        foreach (var project in projects) text.Append($"#:project {project}\n");
        text.Append($"#:project {Rel(outDir, Path.Combine(repoRoot, "tools", "CourseKit.Notebooks"))}\n");
        // The app pins its packages itself (#:package X@V, the versions checked against Directory.Packages.props at export).
        text.Append("#:property ManagePackageVersionsCentrally=false\n#:property ImplicitUsings=disable\n#:property Nullable=disable\n#:property PublishAot=false\n\n");
        foreach (var u in usings) text.Append(u).Append('\n');
        text.Append("using CourseKit.Notebooks.Apps;\nusing static CourseKit.Notebooks.Apps.ChapterApp;\n\n");
        text.Append($"var {ArgsVariable} = ChapterApp.Start(\"{name}\", args, {ProfilesLiteral(doc)});\n\n");
        text.Append(body.TrimEnd('\n')).Append('\n');
        foreach (var type in types) text.Append('\n').Append(type).Append('\n');
        return text.ToString();
    }

    /// <summary>metadata.coursekit.profiles as a C# dictionary literal of strings (parsed into the declared types at run time).</summary>
    static string ProfilesLiteral(NotebookDocument doc)
    {
        if (doc.Metadata["coursekit"]?["profiles"] is not JsonObject profiles || profiles.Count == 0)
            return "new Dictionary<string, Dictionary<string, string>>()";
        var text = new StringBuilder("new Dictionary<string, Dictionary<string, string>>\n{\n");
        foreach (var (profile, values) in profiles)
        {
            text.Append($"    [{Quote(profile)}] = new()\n    {{\n");
            foreach (var (key, value) in values as JsonObject ?? new JsonObject())
                text.Append($"        [{Quote(key)}] = {Quote(value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value?.ToJsonString() ?? "null")},\n");
            text.Append("    },\n");
        }
        return text.Append('}').ToString();
    }

    static string Quote(string text) => Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(text, quote: true);

    /// <summary>`#r "../artifacts/kit/X.dll"` (the kit's build output) → the project that builds it.</summary>
    static string ProjectFor(FileReference file, string repoRoot, string outDir, string label)
    {
        var assembly = Path.GetFileNameWithoutExtension(file.Path);
        var project = Path.Combine(repoRoot, "lib", assembly, assembly + ".csproj");
        if (!assembly.StartsWith("CourseKit", StringComparison.Ordinal) || !File.Exists(project))
            throw new NotebookDirectiveException($"{label}, line {file.Line}: #r \"{file.Path}\" is not one of the kit's libraries (lib/*), so an app cannot reference it");
        return Rel(outDir, project);
    }

    static void AppendMarkdown(StringBuilder body, string markdown)
    {
        foreach (var line in markdown.Replace("\r\n", "\n").TrimEnd('\n').Split('\n'))
            body.Append(line.Length == 0 ? "//" : "// " + line).Append('\n');
        body.Append('\n');
    }

    static string Rel(string from, string to) => Path.GetRelativePath(Path.GetFullPath(from), Path.GetFullPath(to)).Replace('\\', '/');
}
