using CourseKit.Checkpoints;
using CourseKit.Models;
using CourseKit.Tasks.QuestionAnswering;
using CourseKit.Text;

namespace CourseKit.Serving;

/// <summary>
/// Extractive QA served by ONNX Runtime: the folder's question-answering head exported by the kit (int8 for
/// onnx-int8; see <see cref="OnnxFolderGraphs"/>) gives the windows' start and end logits, and <see cref="QaReader"/>
/// does everything else exactly as the torch backend does (windows, n-best spans, max answer length, offsets).
/// </summary>
sealed class OnnxQaReader : QaReader
{
    readonly OnnxBertSession _session;
    readonly string _source;

    OnnxQaReader(OnnxBertSession session, string source, BertTextTokenizer tokenizer, BertConfig config, ServingOptions options)
        : base(tokenizer, config, options) => (_session, _source) = (session, source);

    public static OnnxQaReader Load(string modelDir, ServingOptions options)
    {
        var (session, source, config) = OnnxFolderGraphs.Open(modelDir, options, OnnxExportHead.QuestionAnswering);
        try { return new OnnxQaReader(session, source, Pretrained.LoadTokenizer(modelDir), config, options); }
        catch { session.Dispose(); throw; }
    }

    public override string Description => $"onnx runtime extractive QA on {_source}, windows of {Qa.MaxLength} tokens";

    protected override IReadOnlyList<(float[] Start, float[] End)> WindowLogits(IReadOnlyList<QaFeature> features) =>
        QuestionAnsweringTask.Logits(_session, Tokenizer, features, WindowBatch);

    public override void Dispose() => _session.Dispose();
}
