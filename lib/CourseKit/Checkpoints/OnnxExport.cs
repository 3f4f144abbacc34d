using System.Diagnostics;
using System.Text.Json;
using CourseKit.Models;
using Google.Protobuf;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace CourseKit.Checkpoints;

/// <summary>What the exported graph computes after the encoder.</summary>
public enum OnnxExportHead
{
    /// <summary>last_hidden_state [batch, sequence, H] and, when the folder has one, pooler_output [batch, H].</summary>
    Encoder,
    /// <summary>logits [batch, labels] from the pooled [CLS] state (<see cref="BertForSequenceClassification"/>).</summary>
    SequenceClassification,
    /// <summary>logits [batch, sequence, labels] (<see cref="BertForTokenClassification"/>).</summary>
    TokenClassification,
    /// <summary>start_logits and end_logits [batch, sequence] (<see cref="BertForQuestionAnswering"/>).</summary>
    QuestionAnswering,
    /// <summary>sentence_embedding [batch, H]: pooled (the folder's sentence-transformers pooling, mean by default)
    /// and L2-normalised, as <see cref="SentenceEncoder.Encode(IReadOnlyList{string}, int)"/>.</summary>
    Embedding,
}

public static class OnnxExportHeads
{
    public static readonly IReadOnlyList<string> Names = ["encoder", "sequence-classification", "token-classification", "question-answering", "embedding"];

    public static string Name(OnnxExportHead head) => Names[(int)head];

    public static OnnxExportHead Parse(string name)
    {
        int i = Names.ToList().IndexOf(name.Trim().ToLowerInvariant());
        return i >= 0 ? (OnnxExportHead)i : throw new ArgumentException($"unknown export head '{name}'; known: {string.Join(", ", Names)}");
    }
}

public sealed record OnnxExportOptions
{
    public OnnxExportHead Head { get; init; } = OnnxExportHead.Encoder;
    /// <summary>Encoder Linear layers as int8 (per output channel) with dynamically quantized activations; embeddings,
    /// LayerNorms, attention products and the task head stay float32.</summary>
    public bool Int8 { get; init; }
    /// <summary>Pooling of the embedding head; null: the folder's 1_Pooling/config.json, else mean.</summary>
    public SentencePooling? Pooling { get; init; }
}

/// <summary>What an export wrote.</summary>
public sealed record OnnxExportResult(string Path, OnnxExportHead Head, bool Int8, IReadOnlyList<string> Outputs,
    long Bytes, int Nodes, long Parameters, TimeSpan Elapsed);

/// <summary>
/// Writes a Hugging Face BERT folder (config.json + model.safetensors) as an ONNX graph (opset 17) that ONNX Runtime
/// runs: inputs input_ids, attention_mask, token_type_ids (int64 [batch, sequence], both axes dynamic), outputs
/// per <see cref="OnnxExportHead"/>. TorchSharp cannot export ONNX (dotnet/TorchSharp#1281), so the graph is written
/// from the weights, op for op as the kit's BertModel computes (<see cref="OnnxBertWriter"/>); the float32 graph
/// reads back through <see cref="OnnxImport"/> to the same tensors.
/// </summary>
public static class OnnxExport
{
    public static readonly string[] InputNames = ["input_ids", "attention_mask", "token_type_ids"];

    public static OnnxExportResult ExportFolder(string modelDir, string onnxPath, OnnxExportOptions? options = null)
    {
        options ??= new OnnxExportOptions();
        var clock = Stopwatch.StartNew();
        var configPath = Path.Combine(modelDir, Pretrained.ConfigFile);
        var weightsPath = Path.Combine(modelDir, Pretrained.WeightsFile);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"{configPath}: missing (a Hugging Face model folder has config.json)", configPath);
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"{weightsPath}: missing model weights", weightsPath);
        var config = BertConfig.Load(configPath);
        if (config.ModelType != "bert") throw new NotSupportedException($"{configPath}: model_type '{config.ModelType}'; only BERT models are exported");
        var pooling = options.Pooling ?? SentenceEncoder.ReadSentenceConfig(modelDir).Pooling ?? SentencePooling.Mean;
        using var scope = NewDisposeScope();
        var weights = EncoderNames(SafeTensorsFile.Load(weightsPath));
        var model = Build(config, weights, options, pooling, modelDir);
        var bytes = model.ToByteArray();
        var full = Path.GetFullPath(onnxPath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        AtomicFile.WriteAllBytes(full, bytes);
        long parameters = weights.Values.Sum(t => t.numel());
        return new OnnxExportResult(full, options.Head, options.Int8, model.Graph.Output.Select(o => o.Name).ToList(),
            bytes.LongLength, model.Graph.Node.Count, parameters, clock.Elapsed);
    }

    /// <summary>Task models save the encoder under "bert."; the graph names it as a bare BertModel does.</summary>
    static Dictionary<string, Tensor> EncoderNames(IReadOnlyDictionary<string, Tensor> tensors) =>
        tensors.ToDictionary(kv => kv.Key.StartsWith("bert.", StringComparison.Ordinal) ? kv.Key["bert.".Length..] : kv.Key, kv => kv.Value, StringComparer.Ordinal);

    /// <summary>The graph for <paramref name="weights"/> (Hugging Face names, encoder without "bert.").</summary>
    public static ModelProto Build(BertConfig config, IReadOnlyDictionary<string, Tensor> weights, OnnxExportOptions options,
        SentencePooling pooling = SentencePooling.Mean, string source = "")
    {
        var g = new OnnxGraphBuilder();
        var bert = new OnnxBertWriter(g, config, weights, options.Int8);
        RequireHead(bert, options.Head, source);
        foreach (var name in InputNames) g.Input(OnnxGraphBuilder.Value(name, DataType.Int64, "batch", "sequence"));
        bool pooler = options.Head is OnnxExportHead.Encoder or OnnxExportHead.SequenceClassification;
        var (hidden, pooled) = bert.Encoder(InputNames[0], InputNames[1], InputNames[2], pooler);
        int h = config.HiddenSize;
        var metadata = new Dictionary<string, string>
        {
            ["coursekit.head"] = OnnxExportHeads.Name(options.Head),
            ["coursekit.int8"] = options.Int8 ? "true" : "false",
            ["coursekit.source"] = source,
        };
        if (config.Id2Label is { } labels) metadata["coursekit.id2label"] = JsonSerializer.Serialize(labels);
        switch (options.Head)
        {
            case OnnxExportHead.Encoder:
                Output(g, hidden, "last_hidden_state", "batch", "sequence", h);
                if (pooled is not null) Output(g, pooled, "pooler_output", "batch", h);
                break;
            case OnnxExportHead.SequenceClassification:
                Output(g, bert.Linear(pooled!, "classifier", quantize: false), "logits", "batch", Rows(bert, "classifier.weight"));
                break;
            case OnnxExportHead.TokenClassification:
                Output(g, bert.Linear(hidden, "classifier", quantize: false), "logits", "batch", "sequence", Rows(bert, "classifier.weight"));
                break;
            case OnnxExportHead.QuestionAnswering:
                var logits = bert.Linear(hidden, "qa_outputs", quantize: false);                       // [B, T, 2]
                var parts = g.NodeMulti("Split", [logits], [g.Fresh("start"), g.Fresh("end")], OnnxGraphBuilder.Int("axis", 2));
                var axis = g.Longs(2);
                Output(g, g.Node("Squeeze", [parts[0], axis]), "start_logits", "batch", "sequence");
                Output(g, g.Node("Squeeze", [parts[1], axis]), "end_logits", "batch", "sequence");
                break;
            case OnnxExportHead.Embedding:
                metadata["coursekit.pooling"] = pooling.ToString().ToLowerInvariant();
                Output(g, OnnxPoolingWriter.Normalized(g, OnnxPoolingWriter.Pool(g, hidden, InputNames[1], pooling)), "sentence_embedding", "batch", h);
                break;
        }
        return g.Build(metadata, microsoftDomain: false);
    }

    /// <summary>The graph output <paramref name="name"/> is the value <paramref name="value"/>, renamed through Identity.</summary>
    static void Output(OnnxGraphBuilder g, string value, string name, params object[] dims)
    {
        g.Node("Identity", [value], name);
        g.Output(OnnxGraphBuilder.Value(name, DataType.Float, dims));
    }

    static long Rows(OnnxBertWriter bert, string name) => bert.Values(name).Shape[0];

    static void RequireHead(OnnxBertWriter bert, OnnxExportHead head, string source)
    {
        string? need = head switch
        {
            OnnxExportHead.SequenceClassification when !bert.Has("pooler.dense.weight") => "pooler.dense.weight (the [CLS] pooler the classifier reads)",
            OnnxExportHead.SequenceClassification or OnnxExportHead.TokenClassification when !bert.Has("classifier.weight") => "classifier.weight (a fine-tuned classification head)",
            OnnxExportHead.QuestionAnswering when !bert.Has("qa_outputs.weight") => "qa_outputs.weight (a fine-tuned question-answering head)",
            _ => null,
        };
        if (need is not null)
            throw new InvalidDataException($"{(source.Length > 0 ? source + ": " : "")}the model has no {need}, which the {OnnxExportHeads.Name(head)} graph needs");
    }
}
