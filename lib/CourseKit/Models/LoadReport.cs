using System.Text;

namespace CourseKit.Models;

/// <summary>What <see cref="IHuggingFaceModel.Load"/> did, in Hugging Face's terms.</summary>
/// <param name="Loaded">model tensors given a value from the checkpoint.</param>
/// <param name="Missing">model tensors the checkpoint lacks: they keep their fresh initialisation (train them).</param>
/// <param name="Unexpected">checkpoint tensors the model has no place for: ignored (e.g. another task's head).</param>
/// <param name="Ignored">checkpoint entries known to be redundant: tied copies, position_ids, GPT-2's causal-mask buffers.</param>
/// <param name="Mismatched">name, checkpoint shape, model shape of tensors skipped because of ignoreMismatchedSizes.</param>
public sealed record LoadReport(
    IReadOnlyList<string> Loaded,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Unexpected,
    IReadOnlyList<string> Ignored,
    IReadOnlyList<(string Key, long[] Checkpoint, long[] Model)> Mismatched)
{
    /// <summary>Every model tensor came from the checkpoint.</summary>
    public bool IsComplete => Missing.Count == 0 && Mismatched.Count == 0;

    public override string ToString()
    {
        var sb = new StringBuilder($"Loaded {Loaded.Count} tensors.");
        if (Unexpected.Count > 0)
            sb.Append($"\nUnused checkpoint weights (expected when the checkpoint was trained for another task): {string.Join(", ", Unexpected)}");
        if (Missing.Count > 0)
            sb.Append($"\nNewly initialised weights, not in the checkpoint (train them before use): {string.Join(", ", Missing)}");
        foreach (var (key, ckpt, model) in Mismatched)
            sb.Append($"\nNewly initialised {key}: checkpoint shape [{string.Join(", ", ckpt)}], model shape [{string.Join(", ", model)}]");
        if (Ignored.Count > 0) sb.Append($"\nIgnored (tied or derived): {string.Join(", ", Ignored)}");
        return sb.ToString();
    }
}

/// <summary>A checkpoint tensor whose shape differs from the model's tensor of the same name.</summary>
public sealed class StateDictShapeException(string key, long[] checkpointShape, long[] modelShape, string? more = null)
    : InvalidOperationException($"Tensor '{key}': the model expects shape [{string.Join(", ", modelShape)}] but the checkpoint has [{string.Join(", ", checkpointShape)}]{more}")
{
    public string Key { get; } = key;
    public long[] CheckpointShape { get; } = checkpointShape;
    public long[] ModelShape { get; } = modelShape;
}
