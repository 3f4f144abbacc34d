using CourseKit.Checkpoints;
using CourseKit.Models;

namespace CourseKit.Serving;

/// <summary>
/// The graphs the onnx backends run for a model folder: the kit's export of the folder's task head
/// (<see cref="OnnxExport"/>), at <c>DIR/onnx/&lt;head&gt;[.int8].onnx</c> (Hugging Face model repositories keep their
/// ONNX graphs in an onnx/ subfolder too). Exported on first use and again when config.json or the weights are newer
/// than the graph (a fine-tuning run saved over the folder); the export writes atomically, so a crash or a second
/// process never leaves half a graph to load.
/// </summary>
public static class OnnxFolderGraphs
{
    public static string PathFor(string modelDir, OnnxExportHead head, bool int8) =>
        Path.Combine(modelDir, "onnx", OnnxExportHeads.Name(head) + (int8 ? ".int8" : "") + ".onnx");

    /// <summary>Whether <paramref name="graph"/> exists and is at least as new as the folder's config and weights.</summary>
    public static bool IsUpToDate(string modelDir, string graph)
    {
        if (!File.Exists(graph)) return false;
        var written = File.GetLastWriteTimeUtc(graph);
        return new[] { Pretrained.ConfigFile, Pretrained.WeightsFile }.Select(f => Path.Combine(modelDir, f))
            .All(f => !File.Exists(f) || File.GetLastWriteTimeUtc(f) <= written);
    }

    /// <summary>The folder's graph for <paramref name="head"/>, exported first when missing or out of date.</summary>
    public static string Ensure(string modelDir, OnnxExportHead head, bool int8)
    {
        var path = PathFor(modelDir, head, int8);
        if (!IsUpToDate(modelDir, path))
            OnnxExport.ExportFolder(modelDir, path, new OnnxExportOptions { Head = head, Int8 = int8 });
        return path;
    }

    /// <summary>A session on the service's graph for <paramref name="head"/> (<see cref="ServingOptions.OnnxPath"/>, else
    /// the folder's export, int8 for onnx-int8), refused unless it has the outputs that head reads; with the folder's config.</summary>
    internal static (OnnxBertSession Session, string Source, BertConfig Config) Open(string modelDir, ServingOptions options, OnnxExportHead head)
    {
        if (!File.Exists(Path.Combine(modelDir, Pretrained.ConfigFile)))
            throw new DirectoryNotFoundException($"{modelDir}: not a Hugging Face model folder (no config.json)");
        var config = BertConfig.Load(Path.Combine(modelDir, Pretrained.ConfigFile));
        var graph = options.OnnxPath ?? Ensure(modelDir, head, options.Backend == ServingBackend.OnnxInt8);
        if (!File.Exists(graph)) throw new FileNotFoundException($"{graph}: no such ONNX file", graph);
        var session = new OnnxBertSession(graph, options.OnnxThreads);
        var expected = ExpectedOutputs(head);
        if (expected.Any(o => !session.OutputRanks.TryGetValue(o.Name, out var rank) || rank != o.Rank))
        {
            var found = string.Join(", ", session.OutputNames.Select(n => $"{n} ({session.OutputRanks[n]} axes)"));
            session.Dispose();
            throw new InvalidDataException($"{graph}: not a {OnnxExportHeads.Name(head)} graph (outputs {found}; expected "
                + string.Join(", ", expected.Select(o => $"{o.Name} ({o.Rank} axes)")) + ")");
        }
        return (session, graph, config);
    }

    /// <summary>The outputs (name, number of axes) a head's graph has, as <see cref="OnnxExport"/> and Hugging Face name them.</summary>
    static (string Name, int Rank)[] ExpectedOutputs(OnnxExportHead head) => head switch
    {
        OnnxExportHead.SequenceClassification => [("logits", 2)],
        OnnxExportHead.TokenClassification => [("logits", 3)],
        OnnxExportHead.QuestionAnswering => [("start_logits", 2), ("end_logits", 2)],
        _ => throw new ArgumentOutOfRangeException(nameof(head), head, "the service runs classifier, tagger and QA graphs here"),
    };
}
