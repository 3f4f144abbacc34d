using CourseKit.Checkpoints;
using CourseKit.Models;
using CourseKit.Tasks.TokenClassification;
using CourseKit.Text;

namespace CourseKit.Serving;

/// <summary>
/// NER served by ONNX Runtime: the folder's token-classification head exported by the kit (int8 for onnx-int8; see
/// <see cref="OnnxFolderGraphs"/>) scores the windows, and <see cref="TextTagger"/> does everything else exactly as
/// the torch backend does (words, windows, word-level tags, entities). Only the log-softmax is computed here, on
/// the graph's raw logits.
/// </summary>
sealed class OnnxTagger : TextTagger
{
    readonly OnnxBertSession _session;
    readonly string _source;

    OnnxTagger(OnnxBertSession session, string source, BertTextTokenizer tokenizer, BertConfig config, ServingOptions options)
        : base(tokenizer, TorchBackends.Labels(config), config, options) => (_session, _source) = (session, source);

    public static OnnxTagger Load(string modelDir, ServingOptions options)
    {
        var (session, source, config) = OnnxFolderGraphs.Open(modelDir, options, OnnxExportHead.TokenClassification);
        try { return new OnnxTagger(session, source, Pretrained.LoadTokenizer(modelDir), config, options); }
        catch { session.Dispose(); throw; }
    }

    public override string Description => $"onnx runtime token classifier on {_source}, tags {string.Join(", ", Labels)}";

    protected override float[][][] WordLogProbs(IReadOnlyList<WordWindow> windows) =>
        TokenClassificationPredictor.WordLogProbs(_session, Tokenizer, windows, Labels.Length, Options.EvalBatchSize, _source);

    public override void Dispose() => _session.Dispose();
}
