using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Attention;

/// <summary>
/// Builders for the masks <see cref="ScaledDotProductAttention"/> and <see cref="MultiHeadAttention"/> accept.
/// Boolean masks: true = "this query may attend to this key". Additive masks: float, 0 to keep, -inf to block.
/// </summary>
public static class AttentionMasks
{
    /// <summary>Causal mask (L × S, bool): query i may attend to keys j &lt;= i (top-left aligned, as torch's is_causal).</summary>
    public static Tensor Causal(long queryLength, long keyLength, Device? device = null)
        => torch.ones(new[] { queryLength, keyLength }, dtype: ScalarType.Bool, device: device).tril();

    /// <summary>Causal mask for self-attention over <paramref name="length"/> positions.</summary>
    public static Tensor Causal(long length, Device? device = null) => Causal(length, length, device);

    /// <summary>
    /// Padding mask from a (batch, S) tensor that is true/nonzero at real tokens (e.g. an attention_mask of 1s and 0s).
    /// Returns (batch, 1, 1, S) bool, which broadcasts over heads and query positions.
    /// </summary>
    public static Tensor Padding(Tensor keyIsReal)
    {
        if (keyIsReal.dim() != 2)
            throw new ArgumentException(
                $"keyIsReal must be (batch, seq_len), got shape [{string.Join(", ", keyIsReal.shape)}].", nameof(keyIsReal));
        using var real = keyIsReal.dtype == ScalarType.Bool ? keyIsReal.alias() : keyIsReal.ne(0);
        return real.unsqueeze(1).unsqueeze(2);
    }

    /// <summary>Both masks must allow the pair (broadcasting AND).</summary>
    public static Tensor And(Tensor a, Tensor b) => a.logical_and(b);
}
