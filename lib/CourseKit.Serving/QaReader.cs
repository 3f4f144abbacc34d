using CourseKit.Models;
using CourseKit.Tasks.QuestionAnswering;
using CourseKit.Text;

namespace CourseKit.Serving;

/// <summary>
/// Extractive QA over raw text, whatever runs the model: the question and context become the library's windows
/// (<see cref="QaFeatures.ForText"/>, a third of a window's tokens shared between neighbours), a backend gives each
/// window's start and end logits (<see cref="WindowLogits"/>: TorchSharp or ONNX Runtime, both batched by
/// <see cref="QuestionAnsweringTask.Logits(IReadOnlyList{QaFeature}, int, Func{IReadOnlyList{QaFeature}, ValueTuple{float[], float[], int}})"/>),
/// and <see cref="QaSpans.BestPerQuestion"/> picks the answer (n-best starts and ends, at most
/// <see cref="QuestionAnsweringOptions.MaxAnswerLength"/> tokens, inside the context). One implementation, so the
/// two backends can only differ in the logits.
/// </summary>
abstract class QaReader : IServingBackend
{
    /// <summary>Windows per forward pass (sorted by length first).</summary>
    protected const int WindowBatch = 16;

    protected QaReader(BertTextTokenizer tokenizer, BertConfig config, ServingOptions options)
    {
        Tokenizer = tokenizer;
        int maxLength = options.MaxSequenceLength ?? Math.Min(384, config.MaxPositionEmbeddings);
        Qa = new QuestionAnsweringOptions { MaxLength = maxLength, Stride = maxLength / 3 };
    }

    protected BertTextTokenizer Tokenizer { get; }
    protected QuestionAnsweringOptions Qa { get; }

    public ServingTask Task => ServingTask.Qa;
    public abstract string Description { get; }

    /// <summary>Start and end logits of every window, in the order given.</summary>
    protected abstract IReadOnlyList<(float[] Start, float[] End)> WindowLogits(IReadOnlyList<QaFeature> features);

    public virtual IReadOnlyList<object> Run(IReadOnlyList<ServingInput> inputs)
    {
        var features = inputs.SelectMany((input, i) => Windows(input, i)).ToArray();
        var answers = QaSpans.BestPerQuestion(features, WindowLogits(features), Qa.NBest, Qa.MaxAnswerLength);
        return inputs.Select((_, i) => answers.TryGetValue(i.ToString(), out var a) && a.WindowIndex >= 0
            ? (object)new QaResult(a.Text, a.CharStart, a.CharEnd, a.Score)
            : new QaResult("", 0, 0, 0)).ToArray();           // no span in any window
    }

    /// <summary>The input's windows; a question that leaves a window too little room for context (or for the stride) is
    /// the client's error (413), not a failed inference.</summary>
    IReadOnlyList<QaFeature> Windows(ServingInput input, int index)
    {
        try { return QaFeatures.ForText(Tokenizer, index.ToString(), input.Question ?? "", input.Text, Qa.MaxLength, Qa.Stride); }
        catch (ArgumentException e)
        {
            throw new ServingRequestException(413, $"the question is too long: a window holds {Qa.MaxLength} tokens and shares {Qa.Stride} " +
                $"with its neighbour, so the question must leave more than that for the context ({e.Message})");
        }
    }

    public abstract void Dispose();
}
