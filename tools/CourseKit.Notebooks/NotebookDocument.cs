using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CourseKit.Notebooks;

/// <summary>An nbformat 4 notebook held as its JSON tree, so metadata the kit does not know survives a round trip.</summary>
public sealed class NotebookDocument
{
    static readonly JsonSerializerOptions WriteOptions = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public JsonObject Root { get; }
    public string? Path { get; }
    public List<NotebookCell> Cells { get; }

    NotebookDocument(JsonObject root, string? path)
    {
        Root = root;
        Path = path;
        if (root["cells"] is not JsonArray cells)
            throw new NotebookFormatException($"{path ?? "notebook"}: no \"cells\" array (not an nbformat 4 notebook)");
        Cells = cells.Select((c, i) => c is JsonObject o
            ? new NotebookCell(o)
            : throw new NotebookFormatException($"{path ?? "notebook"}: cell {i + 1} is not a JSON object")).ToList();
    }

    public static NotebookDocument Load(string path)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new NotebookFormatException($"{path}: not valid JSON ({e.Message})", e); }
        return FromJson(node as JsonObject ?? throw new NotebookFormatException($"{path}: the top level is not a JSON object"), path);
    }

    public static NotebookDocument Parse(string json, string? path = null) =>
        FromJson(JsonNode.Parse(json) as JsonObject ?? throw new NotebookFormatException($"{path ?? "notebook"}: the top level is not a JSON object"), path);

    static NotebookDocument FromJson(JsonObject root, string? path)
    {
        var major = root["nbformat"]?.GetValue<int>();
        if (major is not null && major != 4)
            throw new NotebookFormatException($"{path ?? "notebook"}: nbformat {major} is not supported (need 4)");
        return new NotebookDocument(root, path);
    }

    /// <summary>Creates a new notebook the way VS Code Polyglot Notebooks would (kernelspec .net-csharp).</summary>
    public static NotebookDocument Create(IEnumerable<NotebookCell> cells)
    {
        var root = new JsonObject
        {
            ["cells"] = new JsonArray(),
            ["metadata"] = new JsonObject
            {
                ["kernelspec"] = new JsonObject { ["display_name"] = ".NET (C#)", ["language"] = "C#", ["name"] = ".net-csharp" },
                ["language_info"] = new JsonObject { ["name"] = "polyglot-notebook" },
                ["polyglot_notebook"] = new JsonObject { ["kernelInfo"] = new JsonObject { ["defaultKernelName"] = "csharp" } },
            },
            ["nbformat"] = 4,
            ["nbformat_minor"] = 5,
        };
        var doc = new NotebookDocument(root, null);
        foreach (var cell in cells) doc.InsertCell(doc.Cells.Count, cell);
        return doc;
    }

    public JsonObject Metadata => Root["metadata"] as JsonObject ?? (JsonObject)(Root["metadata"] = new JsonObject());

    /// <summary>The language of code cells without their own marker (Polyglot's defaultKernelName, else the kernelspec).</summary>
    public string DefaultLanguage
    {
        get
        {
            var meta = Root["metadata"] as JsonObject;
            var kernel = meta?["polyglot_notebook"]?["kernelInfo"]?["defaultKernelName"]?.GetValue<string>();
            if (kernel is not null) return CellLanguages.Normalize(kernel);
            var spec = meta?["kernelspec"]?["name"]?.GetValue<string>();
            if (spec is not null && spec.StartsWith(".net-", StringComparison.Ordinal)) return CellLanguages.Normalize(spec[5..]);
            var lang = meta?["kernelspec"]?["language"]?.GetValue<string>();
            return lang is null ? "csharp" : CellLanguages.Normalize(lang);
        }
    }

    public void InsertCell(int index, NotebookCell cell)
    {
        if ((Root["nbformat_minor"]?.GetValue<int>() ?? 0) >= 5 && cell.Json["id"] is null)
            cell.Json["id"] = Guid.NewGuid().ToString("N")[..12];
        ((JsonArray)Root["cells"]!).Insert(index, cell.Json);
        Cells.Insert(index, cell);
    }

    public void RemoveCell(int index)
    {
        ((JsonArray)Root["cells"]!).RemoveAt(index);
        Cells.RemoveAt(index);
    }

    public string ToJson() => Root.ToJsonString(WriteOptions) + "\n";

    public void Save(string path)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        File.WriteAllText(path, ToJson(), new UTF8Encoding(false));
    }

    /// <summary>A deep copy (the runner executes a copy and leaves the source document alone).</summary>
    public NotebookDocument Clone(string? path = null) => new((JsonObject)Root.DeepClone(), path ?? Path);
}

/// <summary>One cell; reads and writes its JSON object in place.</summary>
public sealed class NotebookCell
{
    public JsonObject Json { get; }

    public NotebookCell(JsonObject json) => Json = json;

    public static NotebookCell Code(string source, params string[] tags)
    {
        var cell = new NotebookCell(new JsonObject
        {
            ["cell_type"] = "code",
            ["execution_count"] = null,
            ["metadata"] = new JsonObject { ["polyglot_notebook"] = new JsonObject { ["kernelName"] = "csharp" } },
            ["outputs"] = new JsonArray(),
            ["source"] = new JsonArray(),
        });
        cell.Source = source;
        foreach (var tag in tags) cell.AddTag(tag);
        return cell;
    }

    public static NotebookCell Markdown(string source)
    {
        var cell = new NotebookCell(new JsonObject { ["cell_type"] = "markdown", ["metadata"] = new JsonObject(), ["source"] = new JsonArray() });
        cell.Source = source;
        return cell;
    }

    public string CellType => Json["cell_type"]?.GetValue<string>() ?? "code";

    /// <summary>The cell text; nbformat stores it as a string or as a list of lines, and we write a list of lines.</summary>
    public string Source
    {
        get => NbText.Read(Json["source"]);
        set => Json["source"] = NbText.ToLines(value);
    }

    public JsonObject Metadata => Json["metadata"] as JsonObject ?? (JsonObject)(Json["metadata"] = new JsonObject());

    public IReadOnlyList<string> Tags =>
        (Json["metadata"]?["tags"] as JsonArray)?.Select(t => t?.GetValue<string>() ?? "").ToList() ?? new List<string>();

    public void AddTag(string tag)
    {
        var tags = Metadata["tags"] as JsonArray ?? (JsonArray)(Metadata["tags"] = new JsonArray());
        if (!Tags.Contains(tag)) tags.Add(tag);
    }

    /// <summary>The cell's language marker from Polyglot metadata (newer kernelName, older dotnet_interactive.language).</summary>
    public string? MetadataLanguage =>
        (Json["metadata"]?["polyglot_notebook"]?["kernelName"] ?? Json["metadata"]?["dotnet_interactive"]?["language"])?.GetValue<string>();

    public JsonArray Outputs
    {
        get
        {
            if (Json["outputs"] is JsonArray a) return a;
            var created = new JsonArray();
            Json["outputs"] = created;
            return created;
        }
    }

    public int? ExecutionCount
    {
        get => Json["execution_count"]?.GetValue<int>();
        set => Json["execution_count"] = value;
    }
}

/// <summary>nbformat's "multiline string": a string or a list of strings that concatenate.</summary>
public static class NbText
{
    public static string Read(JsonNode? node) => node switch
    {
        null => "",
        JsonArray lines => string.Concat(lines.Select(l => l?.GetValue<string>() ?? "")),
        _ => node.GetValue<string>(),
    };

    public static JsonArray ToLines(string text)
    {
        var array = new JsonArray();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
            if (text[i] == '\n') { array.Add(text[start..(i + 1)]); start = i + 1; }
        if (start < text.Length) array.Add(text[start..]);
        return array;
    }
}

public sealed class NotebookFormatException : Exception
{
    public NotebookFormatException(string message, Exception? inner = null) : base(message, inner) { }
}
