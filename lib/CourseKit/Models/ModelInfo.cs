using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CourseKit.Checkpoints;
using Microsoft.Data.Analysis;

namespace CourseKit.Models;

/// <summary>What <see cref="ModelInspection.Inspect(string)"/> found in a model folder: config, parameter counts by
/// module, the safetensors file, the load report and which task heads the checkpoint carries.</summary>
/// <param name="LoadedAs">the kit's class the folder was loaded into (BertModel or GptModel).</param>
/// <param name="ConfigLines">the config's sizes in words, one line each.</param>
/// <param name="ByModuleDepth1">parameters per top-level module (embeddings, encoder, pooler).</param>
/// <param name="ByModuleDepth2">parameters per second-level module (embeddings.word_embeddings, encoder.layer, …).</param>
/// <param name="Heads">head name (pooler, mlm, nsp, classifier, qa_outputs; lm_head for GPT-2) → present.</param>
public sealed record ModelInfo(
    ModelFolder Folder,
    string LoadedAs,
    IReadOnlyList<string> ConfigLines,
    long TotalParameters,
    long TrainableParameters,
    DataFrame ByModuleDepth1,
    DataFrame ByModuleDepth2,
    SafeTensorsSummary Weights,
    LoadReport Report,
    IReadOnlyDictionary<string, bool> Heads)
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public override string ToString() => ToText();

    /// <summary>The report <c>course model info</c> prints.</summary>
    public string ToText() => Reporting.TextCapture.Of(WriteText);

    public void WriteText(TextWriter out_)
    {
        out_.WriteLine($"model folder   {Folder.Directory}");
        out_.WriteLine($"config.json    model_type {Folder.ModelType}, architectures {Folder.Architectures}");
        foreach (var line in ConfigLines) out_.WriteLine($"               {line}");
        var w = Weights;
        out_.WriteLine($"{Pretrained.WeightsFile}  {w.Tensors} tensors ({string.Join(", ", w.DTypes.Select(d => $"{d.DType} x{d.Count}"))}), " +
                       $"{w.Values.ToString("N0", Inv)} values, {ByteSize(w.DataBytes)} of data, file {ByteSize(w.FileBytes)}" +
                       (w.Metadata.Count > 0 ? $", metadata {string.Join(", ", w.Metadata.Select(m => $"{m.Key}={m.Value}"))}" : ""));

        out_.WriteLine();
        out_.WriteLine($"parameters     {TotalParameters.ToString("N0", Inv)} (as {LoadedAs}; tied tensors counted once)");
        out_.WriteLine("by module, depth 1:");
        WriteTable(out_, ByModuleDepth1);
        out_.WriteLine("by module, depth 2:");
        WriteTable(out_, ByModuleDepth2);

        out_.WriteLine();
        out_.WriteLine($"load report (as {LoadedAs}):");
        foreach (var line in Report.ToString().Split('\n')) out_.WriteLine($"  {line}");
        out_.WriteLine($"task heads     {TaskHeads.Describe(Heads)}");
    }

    /// <summary>The summary as indented JSON (what <c>course model info --json</c> writes).</summary>
    public string ToJson() => ToJsonNode().ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    public JsonObject ToJsonNode() => new()
    {
        ["directory"] = Folder.Directory,
        ["model_type"] = Folder.ModelType,
        ["loaded_as"] = LoadedAs,
        ["config"] = Folder.RawConfig.DeepClone(),
        ["parameters"] = new JsonObject
        {
            ["total"] = TotalParameters,
            ["trainable"] = TrainableParameters,
            ["by_module_depth1"] = FrameToJson(ByModuleDepth1),
            ["by_module_depth2"] = FrameToJson(ByModuleDepth2),
        },
        ["safetensors"] = new JsonObject
        {
            ["path"] = Weights.Path,
            ["tensors"] = Weights.Tensors,
            ["dtypes"] = new JsonObject(Weights.DTypes.Select(d => KeyValuePair.Create(d.DType, (JsonNode?)d.Count))),
            ["values"] = Weights.Values,
            ["data_bytes"] = Weights.DataBytes,
            ["file_bytes"] = Weights.FileBytes,
            ["metadata"] = new JsonObject(Weights.Metadata.Select(m => KeyValuePair.Create(m.Key, (JsonNode?)m.Value))),
        },
        ["load_report"] = LoadReportJson(Report),
        ["heads"] = new JsonObject(Heads.Select(h => KeyValuePair.Create(h.Key, (JsonNode?)h.Value))),
    };

    static JsonObject LoadReportJson(LoadReport report) => new()
    {
        ["loaded"] = report.Loaded.Count,
        ["missing"] = Strings(report.Missing),
        ["unexpected"] = Strings(report.Unexpected),
        ["ignored"] = Strings(report.Ignored),
        ["mismatched"] = new JsonArray(report.Mismatched.Select(m => (JsonNode?)new JsonObject
        {
            ["name"] = m.Key,
            ["checkpoint_shape"] = new JsonArray(m.Checkpoint.Select(d => (JsonNode?)d).ToArray()),
            ["model_shape"] = new JsonArray(m.Model.Select(d => (JsonNode?)d).ToArray()),
        }).ToArray()),
    };

    static JsonArray FrameToJson(DataFrame frame) => new(Enumerable.Range(0, (int)frame.Rows.Count).Select(i => (JsonNode?)new JsonObject
    {
        ["module"] = (string)frame.Columns["module"][i],
        ["parameters"] = (long)frame.Columns["parameters"][i],
    }).ToArray());

    static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)v).ToArray());

    /// <summary>The frame as aligned text: first column left-aligned, the others right-aligned, thousands separated.</summary>
    static void WriteTable(TextWriter out_, DataFrame frame)
    {
        string Cell(object? v) => v switch
        {
            long l => l.ToString("N0", Inv),
            double d => d.ToString("0.00", Inv),
            _ => Convert.ToString(v, Inv) ?? "",
        };
        var headers = frame.Columns.Select(c => c.Name).ToList();
        var rows = Enumerable.Range(0, (int)frame.Rows.Count).Select(i => frame.Rows[i].Select(Cell).ToList()).ToList();
        var widths = headers.Select((h, j) => rows.Select(r => r[j].Length).Append(h.Length).Max()).ToList();
        string Line(IReadOnlyList<string> values) =>
            "  " + string.Join("  ", values.Select((v, j) => j == 0 ? v.PadRight(widths[j]) : v.PadLeft(widths[j])));
        out_.WriteLine(Line(headers));
        foreach (var row in rows) out_.WriteLine(Line(row));
    }

    static string ByteSize(long bytes) => bytes switch
    {
        >= 1 << 30 => $"{bytes / (double)(1 << 30):0.00} GiB",
        >= 1 << 20 => $"{bytes / (double)(1 << 20):0.0} MiB",
        >= 1 << 10 => $"{bytes / (double)(1 << 10):0.0} KiB",
        _ => $"{bytes} B",
    };
}
