namespace CourseKit.Tasks.Pretraining;

/// <summary>Token ids, the ids to predict (-100 = not predicted) and which tokens start a word.</summary>
public sealed record MaskedExample(int[] InputIds, long[] Labels);

/// <summary>
/// BERT's masked-LM corruption (Devlin et al. 2019, §3.1): choose 15 % of the non-special tokens; of those, 80 % become
/// [MASK], 10 % a random token, 10 % stay. With whole-word masking, a word is chosen or left as a unit.
/// Deterministic for a given seed, so a resumed run masks exactly as the interrupted one would have.
/// </summary>
public sealed record MaskedLanguageModeling
{
    public const long IgnoreIndex = -100;

    public double MaskProbability { get; init; } = 0.15;
    public double ReplaceWithMask { get; init; } = 0.8;
    public double ReplaceWithRandom { get; init; } = 0.1;
    public bool WholeWordMasking { get; init; }
    public required int MaskTokenId { get; init; }
    public required int VocabSize { get; init; }
    /// <summary>Ids never chosen for prediction ([CLS], [SEP], [PAD]) nor drawn as random replacements.</summary>
    public required IReadOnlySet<int> SpecialIds { get; init; }

    /// <param name="ids">The token ids of one sequence.</param>
    /// <param name="wordStarts">Per token: true where a word starts (a token not beginning with ##); needed for whole-word masking.</param>
    public MaskedExample Mask(IReadOnlyList<int> ids, IReadOnlyList<bool>? wordStarts, Random rng)
    {
        if (WholeWordMasking && wordStarts is null) throw new ArgumentException("whole-word masking needs word starts");
        if (wordStarts is not null && wordStarts.Count != ids.Count)
            throw new ArgumentException($"wordStarts has {wordStarts.Count} entries for {ids.Count} tokens");
        var input = ids.ToArray();
        var labels = Enumerable.Repeat(IgnoreIndex, ids.Count).ToArray();
        bool chosen = false;
        for (int i = 0; i < ids.Count; i++)
        {
            if (SpecialIds.Contains(ids[i])) { chosen = false; continue; }
            bool startsUnit = !WholeWordMasking || wordStarts![i];
            if (startsUnit) chosen = rng.NextDouble() < MaskProbability;
            if (!chosen) continue;
            labels[i] = ids[i];
            double r = rng.NextDouble();
            if (r < ReplaceWithMask) input[i] = MaskTokenId;
            else if (r < ReplaceWithMask + ReplaceWithRandom) input[i] = RandomToken(rng);
        }
        return new MaskedExample(input, labels);
    }

    int RandomToken(Random rng)
    {
        while (true)
        {
            int id = rng.Next(VocabSize);
            if (!SpecialIds.Contains(id)) return id;
        }
    }
}
