using CourseKit.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tasks.TokenClassification;

/// <summary>A batch of windows padded to its longest window: input ids, attention mask, token types and labels
/// (int64 [batch, length]; labels -100 where the loss ignores a token).</summary>
public sealed class TokenClassificationBatch : IDisposable
{
    TokenClassificationBatch(BatchTensors inputs, Tensor? labels)
    {
        Inputs = inputs;
        Labels = labels;
    }

    public BatchTensors Inputs { get; }
    /// <summary>Null when a window has no labels (inference).</summary>
    public Tensor? Labels { get; }

    public static TokenClassificationBatch Collate(IReadOnlyList<WordWindow> windows, BertTextTokenizer tokenizer, Device? device = null)
    {
        if (windows.Count == 0) throw new ArgumentException("a batch needs at least one window", nameof(windows));
        var padded = TokenizedBatch.Pad(windows.Select(w => w.Encoding).ToArray(), tokenizer.PadId, tokenizer.PadToken);
        var labels = windows.All(w => w.Labels is not null) ? WordAlignment.LabelTensor(windows, padded.SequenceLength, device: device) : null;
        return new TokenClassificationBatch(padded.ToTensors(device), labels);
    }

    public void Dispose()
    {
        Inputs.Dispose();
        Labels?.Dispose();
    }
}
