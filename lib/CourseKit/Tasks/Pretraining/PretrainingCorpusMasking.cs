using System.Collections;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tasks.Pretraining;

/// <summary>Sequence <see cref="Index"/> of the corpus as seen in pass <see cref="Pass"/> over the data: every pass
/// masks it afresh (BERT's duplication factor, RoBERTa's dynamic masking).</summary>
public readonly record struct MaskedSequenceRef(int Pass, int Index);

/// <summary>The training set of masked-LM pretraining: <c>passes × sequences</c> references, which the trainer shuffles
/// by its seed. Nothing is materialised; masks are drawn when a batch is built.</summary>
public sealed class MaskedPasses(int sequences, int passes) : IReadOnlyList<MaskedSequenceRef>
{
    public int Count { get; } = checked(sequences * passes);
    public MaskedSequenceRef this[int i] => (uint)i < (uint)Count ? new(i / sequences, i % sequences) : throw new ArgumentOutOfRangeException(nameof(i));
    public IEnumerator<MaskedSequenceRef> GetEnumerator() { for (int i = 0; i < Count; i++) yield return this[i]; }
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>A collated masked-LM batch: [B, T] int64 tensors, padded on the right to the longest sequence.</summary>
public sealed record MaskedLmBatch(Tensor InputIds, Tensor AttentionMask, Tensor Labels, long Tokens, long MaskedTokens);

/// <summary>Masks for pretraining drawn from a <see cref="Random"/> seeded by (seed, pass, sequence) only, so a batch's
/// masks do not depend on what ran before it: a resumed run masks exactly like an uninterrupted one, and the held-out
/// set (pass <see cref="HeldOutPass"/>) is masked the same way at every evaluation.</summary>
public static class PretrainingMasking
{
    public const int HeldOutPass = -1;

    /// <summary>A seed from (seed, pass, index) by a fixed integer mix (HashCode is salted per process; this is not).</summary>
    public static int MixSeed(int seed, int pass, int index)
    {
        ulong x = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ (ulong)(uint)pass * 0xBF58476D1CE4E5B9UL ^ (ulong)(uint)index * 0x94D049BB133111EBUL;
        x ^= x >> 31; x *= 0xD6E8FEB86659FD93UL; x ^= x >> 32;
        return (int)(x & 0x7FFFFFFF);
    }

    public static MaskedExample Mask(MaskedLanguageModeling mlm, PackedSequence sequence, int seed, int pass, int index) =>
        mlm.Mask(sequence.Ids, sequence.WordStarts, new Random(MixSeed(seed, pass, index)));

    /// <summary>Pads masked examples into tensors (pad id in the inputs, 0 in the attention mask, -100 in the labels).</summary>
    public static MaskedLmBatch Collate(IReadOnlyList<MaskedExample> examples, int padId)
    {
        if (examples.Count == 0) throw new ArgumentException("an empty batch");
        int b = examples.Count, t = examples.Max(e => e.InputIds.Length);
        var ids = new long[b * t];
        var mask = new long[b * t];
        var labels = new long[b * t];
        Array.Fill(ids, padId);
        Array.Fill(labels, MaskedLanguageModeling.IgnoreIndex);
        long tokens = 0, masked = 0;
        for (int i = 0; i < b; i++)
        {
            var e = examples[i];
            for (int j = 0; j < e.InputIds.Length; j++)
            {
                ids[i * t + j] = e.InputIds[j];
                mask[i * t + j] = 1;
                labels[i * t + j] = e.Labels[j];
                if (e.Labels[j] != MaskedLanguageModeling.IgnoreIndex) masked++;
            }
            tokens += e.InputIds.Length;
        }
        long[] shape = [b, t];
        return new MaskedLmBatch(torch.tensor(ids, shape), torch.tensor(mask, shape), torch.tensor(labels, shape), tokens, masked);
    }
}
