namespace CourseKit.Benchmarks;

/// <summary>
/// Runs the variants of a comparison interleaved, A B A B …, never all of A then all of B: on a shared machine the
/// load changes over seconds, and interleaving spreads each change over every variant instead of charging it to
/// whichever happened to run then. A ratio between variants is then read from samples taken side by side.
/// </summary>
public static class Interleaving
{
    /// <summary>The order of calls: round by round, every variant once per round, in the given order.</summary>
    public static IEnumerable<(int Round, int Variant)> Order(int variants, int rounds)
    {
        if (variants < 1) throw new ArgumentOutOfRangeException(nameof(variants), variants, "need at least one variant");
        if (rounds < 0) throw new ArgumentOutOfRangeException(nameof(rounds), rounds, "rounds cannot be negative");
        for (int round = 0; round < rounds; round++)
            for (int v = 0; v < variants; v++)
                yield return (round, v);
    }

    /// <summary>Calls each variant <paramref name="warmupRounds"/> rounds untimed (discarded), then
    /// <paramref name="rounds"/> rounds interleaved; each call returns its own sample (seconds, tokens/s, …).
    /// <paramref name="betweenRounds"/> runs after every timed round (e.g. a peak probe, so the denominator is sampled
    /// across the run too). Returns the samples of each variant in round order.</summary>
    public static IReadOnlyList<IReadOnlyList<double>> Run(IReadOnlyList<Func<double>> variants, int warmupRounds, int rounds,
        Action<int>? betweenRounds = null)
    {
        foreach (var (_, v) in Order(variants.Count, warmupRounds)) variants[v]();
        var samples = variants.Select(_ => new List<double>()).ToArray();
        int lastRound = -1;
        foreach (var (round, v) in Order(variants.Count, rounds))
        {
            if (round != lastRound && lastRound >= 0) betweenRounds?.Invoke(lastRound);
            lastRound = round;
            samples[v].Add(variants[v]());
        }
        if (lastRound >= 0) betweenRounds?.Invoke(lastRound);
        return samples;
    }
}
