namespace CourseKit.Tasks.PromptLearning;

/// <summary>
/// One way of saying what each label means: a description per label, in label order ("a negative movie review",
/// "a positive movie review"). Zero-shot classification by label descriptions embeds the sentence and every
/// description and picks the most cosine-similar label: the encoder's training objective (similar meaning → nearby
/// vectors) is reused as the classifier, which is why no labelled example is needed.
/// </summary>
public sealed record LabelPhrasing(string Name, IReadOnlyList<string> Descriptions)
{
    /// <summary>Reads "description of label 0|description of label 1|…" (one per label, none empty).</summary>
    public static LabelPhrasing Parse(string spec, int labelCount, string name = "custom")
    {
        var parts = spec.Split('|', StringSplitOptions.TrimEntries);
        if (parts.Length != labelCount || parts.Any(p => p.Length == 0))
            throw new ArgumentException($"label descriptions '{spec}': expected {labelCount} non-empty descriptions separated by '|', got {parts.Length}");
        return new LabelPhrasing(name, parts);
    }

    public override string ToString() => $"{Name}: {string.Join(" | ", Descriptions)}";
}

/// <summary>The chapter's phrasings. The first three of SST-2 are the issue's measured ones (0.671, 0.698, 0.607 on
/// dev with all-MiniLM-L6-v2); the rest are candidates for the phrasing search (chosen on SST-2 train, not dev).</summary>
public static class LabelPhrasings
{
    public static readonly IReadOnlyList<LabelPhrasing> Sst2 =
    [
        new("review", ["a negative movie review", "a positive movie review"]),
        new("movie-is", ["This movie is bad.", "This movie is good."]),
        new("adjectives", ["terrible, awful, bad", "great, wonderful, good"]),
        new("sentiment", ["negative sentiment", "positive sentiment"]),
        new("film-terrible", ["This film is terrible.", "This film is great."]),
        new("hated-loved", ["I hated this movie.", "I loved this movie."]),
        new("boring", ["a boring, disappointing film", "an enjoyable, moving film"]),
        new("critic", ["The critic disliked the film.", "The critic liked the film."]),
        new("waste", ["a waste of time", "worth watching"]),
        new("recommend", ["I would not recommend it.", "I would recommend it."]),
        new("bad-good", ["bad", "good"]),
        new("negative-positive", ["negative", "positive"]),
        new("unpleasant", ["This is unpleasant and dull.", "This is delightful and fun."]),
        new("fails", ["The movie fails.", "The movie succeeds."]),
    ];

    public static readonly IReadOnlyList<LabelPhrasing> PhraseBank =
    [
        new("news", ["negative financial news", "neutral financial news", "positive financial news"]),
        new("company", ["The company is doing badly.", "The company reports routine facts.", "The company is doing well."]),
        new("words", ["loss, decline, drop", "report, announce, state", "profit, growth, increase"]),
        new("sentiment", ["negative sentiment", "neutral sentiment", "positive sentiment"]),
        new("results", ["Sales and profits fell.", "The company issued a statement.", "Sales and profits rose."]),
        new("market", ["bad news for investors", "a neutral business announcement", "good news for investors"]),
    ];

    public static IReadOnlyList<LabelPhrasing> For(PromptTask task) => task == PromptTask.Sst2 ? Sst2 : PhraseBank;

    /// <summary>A phrasing by name, or an error that names the known ones.</summary>
    public static LabelPhrasing Get(PromptTask task, string name) =>
        For(task).FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown phrasing '{name}' for {task}; known: {string.Join(", ", For(task).Select(p => p.Name))}");
}
