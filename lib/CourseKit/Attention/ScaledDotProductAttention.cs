using CourseKit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Attention;

/// <summary>
/// softmax(Q Kᵀ / √d_k) V over tensors shaped (..., L, E) for queries, (..., S, E) keys, (..., S, Ev) values.
///
/// Two paths computing the same thing:
/// <list type="bullet">
/// <item><see cref="Fused"/> calls libtorch's <c>scaled_dot_product_attention</c> (flash / memory-efficient kernels
/// where available). TorchSharp 0.107 signature: <c>(query, key, value, attn_mask = null, p = 0.0, is_casual = false)</c>
/// (sic, "casual"); it has no scale argument, so the default 1/√E is used, as in the explicit path.</item>
/// <item><see cref="Explicit"/> spells it out (matmul, scale, mask fill with -inf, softmax, dropout, matmul) and also
/// returns the attention weights (..., L, S) for plots. The weights returned are those before dropout.</item>
/// </list>
///
/// Masks (broadcastable to (..., L, S)):
/// <list type="bullet">
/// <item>bool: true = attend, false = blocked (see <see cref="AttentionMasks"/>);</item>
/// <item>floating point: added to the scores (0 keeps, -inf blocks; other values bias).</item>
/// </list>
/// <c>isCausal</c> additionally blocks keys j &gt; i (top-left aligned, like torch) and may be combined with a mask.
///
/// Fully masked rows (a query that may attend to no key): softmax over nothing is undefined. A plain softmax gives
/// NaN, and what the fused kernels give depends on kernel and mask kind (measured with libtorch 2.10 CPU: zeros for a
/// bool mask, non-zero garbage for an additive all -inf row). The convention here, identical in both paths and in <see cref="ReferenceAttention"/>: such a row's weights are
/// all zero and its output row is zero. It is implemented by letting those rows attend to everything inside the kernel
/// (so no NaN arises, forward or backward) and zeroing their weights/outputs afterwards.
///
/// Dropout on the weights is applied only when <c>training</c> is true (unlike the raw libtorch call, which drops
/// whenever p &gt; 0).
/// </summary>
public static class ScaledDotProductAttention
{
    public static Tensor Fused(Tensor query, Tensor key, Tensor value, Tensor? mask = null, bool isCausal = false,
        double dropoutP = 0.0, bool training = false)
    {
        Validate(query, key, value, mask);
        using var scope = torch.NewDisposeScope();
        var (safeMask, emptyRows) = PrepareMask(query, key, mask, isCausal);
        bool kernelCausal = isCausal && mask is null; // otherwise causality is already folded into safeMask
        var output = torch.nn.functional.scaled_dot_product_attention(
            query, key, value, attn_mask: safeMask, p: training ? dropoutP : 0.0, is_casual: kernelCausal);
        if (emptyRows is not null) output = output.masked_fill(emptyRows, CachedScalars.Of(0.0));
        return output.MoveToOuterDisposeScope();
    }

    public static (Tensor Output, Tensor Weights) Explicit(Tensor query, Tensor key, Tensor value, Tensor? mask = null,
        bool isCausal = false, double dropoutP = 0.0, bool training = false)
    {
        Validate(query, key, value, mask);
        using var scope = torch.NewDisposeScope();
        var (safeMask, emptyRows) = PrepareMask(query, key, mask, isCausal);
        if (safeMask is null && isCausal)
            safeMask = AttentionMasks.Causal(query.shape[^2], key.shape[^2], query.device);

        double scale = 1.0 / Math.Sqrt(query.shape[^1]);
        var scores = query.matmul(key.transpose(-2, -1)).mul(scale);
        if (safeMask is not null)
            scores = safeMask.dtype == ScalarType.Bool
                ? scores.masked_fill(safeMask.logical_not(), CachedScalars.Of(double.NegativeInfinity))
                : scores.add(safeMask);

        var weights = scores.softmax(-1);
        if (emptyRows is not null) weights = weights.masked_fill(emptyRows, CachedScalars.Of(0.0));
        var dropped = training && dropoutP > 0 ? torch.nn.functional.dropout(weights, dropoutP, training: true) : weights;
        var output = dropped.matmul(value);
        return (output.MoveToOuterDisposeScope(), weights.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Folds isCausal into the mask when a mask is given, finds the rows that may attend to nothing
    /// ((..., L or 1, 1) bool, or null when none can exist) and opens those rows up so no kernel sees an all -inf row.
    /// </summary>
    private static (Tensor? SafeMask, Tensor? EmptyRows) PrepareMask(Tensor query, Tensor key, Tensor? mask, bool isCausal)
    {
        if (mask is null) return (null, null); // causal alone never empties a row: key 0 is always visible

        long L = query.shape[^2], S = key.shape[^2];
        if (mask.dtype == ScalarType.Bool)
        {
            var allowed = isCausal ? mask.logical_and(AttentionMasks.Causal(L, S, mask.device)) : mask;
            var emptyRows = allowed.any(-1, keepdim: true).logical_not();
            return (allowed.logical_or(emptyRows), emptyRows);
        }
        if (mask.is_floating_point())
        {
            var bias = mask.to_type(query.dtype);
            if (isCausal)
                bias = bias.masked_fill(AttentionMasks.Causal(L, S, mask.device).logical_not(), CachedScalars.Of(double.NegativeInfinity));
            var emptyRows = bias.isneginf().all(-1, keepdim: true);
            return (bias.masked_fill(emptyRows, CachedScalars.Of(0.0)), emptyRows);
        }
        throw new ArgumentException(
            $"attention mask must be bool (true = attend) or floating point (additive), got {mask.dtype}.", nameof(mask));
    }

    private static void Validate(Tensor query, Tensor key, Tensor value, Tensor? mask)
    {
        static string Shape(Tensor t) => "[" + string.Join(", ", t.shape) + "]";
        if (query.dim() < 2 || key.dim() < 2 || value.dim() < 2)
            throw new ArgumentException(
                $"query, key and value need at least 2 dims (..., seq, features); got query {Shape(query)}, key {Shape(key)}, value {Shape(value)}.");
        if (query.shape[^1] != key.shape[^1])
            throw new ArgumentException($"query {Shape(query)} and key {Shape(key)} differ in the last (d_k) dim.", nameof(key));
        if (key.shape[^2] != value.shape[^2])
            throw new ArgumentException($"key {Shape(key)} and value {Shape(value)} differ in sequence length (dim -2).", nameof(value));
        if (mask is not null && (mask.dim() < 2 ||
            (mask.shape[^1] != key.shape[^2] && mask.shape[^1] != 1) ||
            (mask.shape[^2] != query.shape[^2] && mask.shape[^2] != 1)))
            throw new ArgumentException(
                $"mask {Shape(mask)} does not broadcast to (..., L={query.shape[^2]}, S={key.shape[^2]}).", nameof(mask));
    }
}
