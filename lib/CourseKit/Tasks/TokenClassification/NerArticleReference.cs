using CourseKit.Metrics;

namespace CourseKit.Tasks.TokenClassification;

/// <summary>
/// The published result the kit reproduces: bert-base-cased fine-tuned on CoNLL-2003, evaluated on the English test
/// set (46,435 words), as a token-level classification report (rounded to 3 decimals, as printed in the article).
/// </summary>
public static class NerArticleReference
{
    public const string Description = "BERT (bert-base-cased) fine-tuned on CoNLL-2003, English test set, token-level classification report";
    public const long TestTokens = 46_435;

    /// <summary>Rows in the article's order: the 9 tags, then micro, macro and weighted averages.</summary>
    public static IReadOnlyList<(string Row, ClassScores Scores)> Rows { get; } =
    [
        ("B-LOC", new(0.926, 0.906, 0.916, 1668)),
        ("I-LOC", new(0.900, 0.805, 0.850, 257)),
        ("B-MISC", new(0.875, 0.856, 0.865, 702)),
        ("I-MISC", new(0.838, 0.782, 0.809, 216)),
        ("B-ORG", new(0.914, 0.898, 0.906, 1661)),
        ("I-ORG", new(0.911, 0.894, 0.902, 835)),
        ("B-PER", new(0.964, 0.957, 0.960, 1617)),
        ("I-PER", new(0.983, 0.980, 0.982, 1156)),
        ("O", new(0.993, 0.995, 0.994, 38323)),
        ("micro avg", new(0.973, 0.973, 0.973, 46435)),
        ("macro avg", new(0.923, 0.897, 0.909, 46435)),
        ("weighted avg", new(0.973, 0.973, 0.973, 46435)),
    ];

    public static ClassScores Row(string name) =>
        Rows.FirstOrDefault(r => r.Row == name).Scores ?? throw new ArgumentException($"the article's table has no row '{name}'", nameof(name));
}
