using CourseKit.Models;
using CourseKit.Tasks.TokenClassification;
using CourseKit.Text;

namespace CourseKit.Serving;

/// <summary>NER on the kit's TorchSharp token classifier: <see cref="TextTagger"/> with the kit's
/// <see cref="TokenClassificationPredictor"/> scoring the windows, inside one dispose scope per request batch.</summary>
sealed class TorchTagger : TextTagger
{
    readonly BertForTokenClassification _model;

    public TorchTagger(BertForTokenClassification model, BertTextTokenizer tokenizer, ServingOptions options)
        : base(tokenizer, TorchBackends.Labels(model.Config), model.Config, options)
    {
        _model = model;
        _model.eval();
    }

    public override string Description => $"torch token classifier, tags {string.Join(", ", Labels)}";

    public override IReadOnlyList<object> Run(IReadOnlyList<ServingInput> inputs) => TorchBackends.Scoped(() => base.Run(inputs));

    protected override float[][][] WordLogProbs(IReadOnlyList<WordWindow> windows) =>
        TokenClassificationPredictor.PredictLogProbs(_model, Tokenizer, windows, Options).WordLogProbs;

    public override void Dispose() => _model.Dispose();
}
