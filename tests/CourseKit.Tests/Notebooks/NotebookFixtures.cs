using System.Text.Json.Nodes;
using CourseKit.Notebooks;

namespace CourseKit.Tests.Notebooks;

/// <summary>Small notebooks written in code, saved the way VS Code Polyglot Notebooks saves them.</summary>
static class NotebookFixtures
{
    public static NotebookCell Code(string source, params string[] tags) => NotebookCell.Code(source, tags);
    public static NotebookCell Markdown(string source) => NotebookCell.Markdown(source);

    /// <summary>A code cell marked the older way (metadata.dotnet_interactive.language), with no Polyglot metadata.</summary>
    public static NotebookCell OldStyleCode(string source)
    {
        var cell = NotebookCell.Code(source);
        cell.Metadata.Remove("polyglot_notebook");
        cell.Metadata["dotnet_interactive"] = new JsonObject { ["language"] = "csharp" };
        return cell;
    }

    public static string Save(string dir, string name, params NotebookCell[] cells) => Save(dir, name, null, cells);

    public static string Save(string dir, string name, JsonObject? profiles, params NotebookCell[] cells)
    {
        var doc = NotebookDocument.Create(cells);
        if (profiles is not null) doc.Metadata["coursekit"] = new JsonObject { ["profiles"] = profiles };
        doc.Metadata["custom_tool"] = new JsonObject { ["keep"] = "me" };
        var path = Path.Combine(dir, name + ".ipynb");
        doc.Save(path);
        return path;
    }

    public static Task<NotebookRunResult> Run(string path, NotebookRunOptions? options = null) =>
        new NotebookRunner(options).RunAsync(path);

    /// <summary>The data bundle of an output (display_data / execute_result).</summary>
    public static string OutputText(JsonObject output, string mime = "text/plain") => NbText.Read(output["data"]?[mime]);

    public static string Type(JsonObject output) => output["output_type"]!.GetValue<string>();
}
