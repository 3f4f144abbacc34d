using System.Globalization;
using CourseKit.Checkpoints;

namespace CourseKit.Benchmarks;

/// <summary>One point of a pruning curve: magnitude pruning at a weight share, or head pruning at a head share.</summary>
public sealed record PruningLevel(string Method, double Share)
{
    public const string Magnitude = "magnitude", Heads = "heads";

    public override string ToString() => $"{Method} {Share.ToString("0.##", CultureInfo.InvariantCulture)}";

    /// <summary>Parses <c>magnitude:0.3,0.5 heads:0.25</c> (methods separated by spaces or semicolons).</summary>
    public static IReadOnlyList<PruningLevel> Parse(string spec) =>
        spec.Split([' ', ';'], StringSplitOptions.RemoveEmptyEntries).SelectMany(part =>
        {
            var (method, shares) = part.Split(':', 2) is [var m, var s] ? (m, s) : throw Bad(part, "expected METHOD:SHARE[,SHARE...]");
            if (method is not (Magnitude or Heads)) throw Bad(part, $"the method is {Magnitude} or {Heads}, not '{method}'");
            return shares.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(x =>
                double.TryParse(x, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v is >= 0 and < 1
                    ? new PruningLevel(method, v) : throw Bad(part, $"'{x}' is not a share in [0, 1)"));
        }).ToArray();

    static ArgumentException Bad(string part, string why) => new($"--prune '{part}': {why}");
}

/// <summary>
/// Accuracy against sparsity without retraining: each level prunes the folder into <c>workDir</c>
/// (<see cref="MagnitudePruning"/> or <see cref="HeadPruning"/>) and scores it with the caller's scorer (the task's own
/// metric, as <see cref="CompressionAccuracy"/> does); the change is against the unpruned baseline's row of the same
/// metric. Both methods report the share of encoder Linear weights that are zero, so they share an axis.
/// </summary>
public static class PruningCurve
{
    public static IReadOnlyList<CompressionAccuracyRow> Run(string modelDir, IReadOnlyList<PruningLevel> levels, string workDir,
        IReadOnlyList<CompressionAccuracyRow> baseline, Func<string, IReadOnlyList<CompressionAccuracyRow>> score, Action<string>? log = null)
    {
        var rows = new List<CompressionAccuracyRow>();
        foreach (var level in levels)
        {
            var dir = Path.Combine(workDir, $"pruned-{level.Method}-{level.Share.ToString("0.###", CultureInfo.InvariantCulture)}");
            double sparsity = level.Method == PruningLevel.Magnitude
                ? MagnitudePruning.Prune(modelDir, dir, level.Share).Sparsity
                : HeadPruning.Prune(modelDir, dir, level.Share).Sparsity;
            var name = $"{level} ({(100 * sparsity).ToString("F1", CultureInfo.InvariantCulture)}% zero)";
            foreach (var row in score(dir))
            {
                var reference = baseline.First(b => b.Metric == row.Metric);
                rows.Add(row with { Backend = name, DeltaPoints = row.Score - reference.Score });
                log?.Invoke($"{name}: {row.Metric} {row.Score:F2} ({row.Score - reference.Score:+0.00;-0.00;0.00})");
            }
        }
        return rows;
    }
}
