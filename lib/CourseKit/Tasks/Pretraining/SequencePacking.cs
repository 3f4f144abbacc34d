namespace CourseKit.Tasks.Pretraining;

/// <summary>A packed training sequence: token ids and, per token, whether it starts a word.</summary>
public sealed record PackedSequence(int[] Ids, bool[] WordStarts);

/// <summary>
/// Packs tokenized sentences into sequences of at most <c>maxLength</c> tokens, "full sentences" style (RoBERTa §4.2):
/// consecutive sentences fill a sequence, separated by [SEP]; a sentence longer than the room left is split.
/// Every sequence is [CLS] … [SEP], so nothing is wasted on padding during pretraining.
/// </summary>
public static class SequencePacking
{
    public static IEnumerable<PackedSequence> Pack(IEnumerable<(int[] Ids, bool[] WordStarts)> sentences, int maxLength, int clsId, int sepId)
    {
        if (maxLength < 4) throw new ArgumentOutOfRangeException(nameof(maxLength), "maxLength must be at least 4");
        var ids = new List<int> { clsId };
        var starts = new List<bool> { true };
        foreach (var (sentence, wordStarts) in sentences)
        {
            if (sentence.Length != wordStarts.Length) throw new ArgumentException("a sentence's ids and word starts differ in length");
            int pos = 0;
            while (pos < sentence.Length)
            {
                int room = maxLength - 1 - ids.Count; // keep one place for the closing [SEP]
                if (room <= 0)
                {
                    yield return Close(ids, starts, sepId);
                    ids = new List<int> { clsId };
                    starts = new List<bool> { true };
                    continue;
                }
                int take = Math.Min(room, sentence.Length - pos);
                ids.AddRange(sentence.AsSpan(pos, take).ToArray());
                starts.AddRange(wordStarts.AsSpan(pos, take).ToArray());
                pos += take;
            }
            if (ids.Count < maxLength - 1) { ids.Add(sepId); starts.Add(true); }
        }
        if (ids.Count > 1) yield return Close(ids, starts, sepId);
    }

    static PackedSequence Close(List<int> ids, List<bool> starts, int sepId)
    {
        if (ids[^1] != sepId) { ids.Add(sepId); starts.Add(true); }
        return new PackedSequence(ids.ToArray(), starts.ToArray());
    }
}
