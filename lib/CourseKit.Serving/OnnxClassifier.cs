using CourseKit.Checkpoints;
using CourseKit.Metrics;
using CourseKit.Models;
using CourseKit.Text;

namespace CourseKit.Serving;

/// <summary>
/// A sequence classifier served by ONNX Runtime: the folder's sequence-classification head exported by the kit
/// (<see cref="OnnxExport"/>, int8 for onnx-int8) and run with <see cref="OnnxBertSession"/>; the same labels,
/// probabilities and result as the torch backend. The graph is the given ONNX file, else the folder's
/// <c>onnx/sequence-classification[.int8].onnx</c>, exported there on first use (<see cref="OnnxFolderGraphs"/>).
/// </summary>
public sealed class OnnxClassifier : IServingBackend
{
    readonly OnnxBertSession _session;
    readonly BertTextTokenizer _tokenizer;
    readonly string[] _labels;
    readonly int _maxLength;
    readonly string _source;

    OnnxClassifier(OnnxBertSession session, BertTextTokenizer tokenizer, string[] labels, int maxLength, string source) =>
        (_session, _tokenizer, _labels, _maxLength, _source) = (session, tokenizer, labels, maxLength, source);

    public static OnnxClassifier Load(string modelDir, ServingOptions options)
    {
        var (session, graph, config) = OnnxFolderGraphs.Open(modelDir, options, OnnxExportHead.SequenceClassification);
        try
        {
            int maxLength = options.MaxSequenceLength ?? config.MaxPositionEmbeddings;
            return new OnnxClassifier(session, Pretrained.LoadTokenizer(modelDir), TorchBackends.Labels(config), maxLength, graph);
        }
        catch { session.Dispose(); throw; }
    }

    public ServingTask Task => ServingTask.Classify;
    public string Description => $"onnx runtime sequence classifier on {_source}, labels {string.Join(", ", _labels)}";

    public IReadOnlyList<object> Run(IReadOnlyList<ServingInput> inputs)
    {
        var lengths = inputs.Select(i => _tokenizer.Encode(i.Text, new EncodeOptions { MaxLength = _maxLength, Truncation = true }).Length).ToArray();
        var results = new object[inputs.Count];
        foreach (var chunk in LengthChunks.Split(lengths))
        {
            var logits = _session.Run(_tokenizer, chunk.Select(i => inputs[i].Text).ToArray(), _maxLength)["logits"];
            int classes = logits.Shape[1];
            for (int k = 0; k < chunk.Length; k++)
                results[chunk[k]] = ClassifyResult.From(_labels, TemperatureScaling.Softmax([logits.Values[(k * classes)..((k + 1) * classes)]])[0]);
        }
        return results;
    }

    public void Dispose() => _session.Dispose();
}
