namespace CourseKit.Data;

/// <summary>
/// The CoNLL-2003 NER label set and its fixed id order, the one place label ids are defined. The order is that of the
/// Hugging Face <c>conll2003</c> data set (O, B-PER, I-PER, B-ORG, I-ORG, B-LOC, I-LOC, B-MISC, I-MISC), so ids match
/// models fine-tuned on it.
/// </summary>
public static class NerLabels
{
    /// <summary>The label ids' names: <c>All[id]</c>.</summary>
    public static IReadOnlyList<string> All { get; } =
        ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"];

    /// <summary>The entity types, sorted (the order conlleval prints them in).</summary>
    public static IReadOnlyList<string> EntityTypes { get; } = ["LOC", "MISC", "ORG", "PER"];

    public static int Count => All.Count;
    public const int OutsideId = 0;
    public const string Outside = "O";

    /// <summary>The label Hugging Face's loss ignores (sub-tokens, special and padding tokens).</summary>
    public const int IgnoreIndex = -100;

    static readonly Dictionary<string, int> Ids = All.Select((label, id) => (label, id)).ToDictionary(x => x.label, x => x.id, StringComparer.Ordinal);

    public static bool IsKnown(string label) => Ids.ContainsKey(label);

    public static int Id(string label) =>
        Ids.TryGetValue(label, out var id) ? id
            : throw new ArgumentException($"'{label}' is not a CoNLL-2003 NER label (expected one of {string.Join(", ", All)}).", nameof(label));

    public static string Name(int id) =>
        id >= 0 && id < All.Count ? All[id]
            : throw new ArgumentOutOfRangeException(nameof(id), id, $"label ids are 0..{All.Count - 1}");

    public static int[] ToIds(IEnumerable<string> labels) => labels.Select(Id).ToArray();
    public static string[] ToNames(IEnumerable<int> ids) => ids.Select(Name).ToArray();

    /// <summary>The id of the inside label of the same type: B-X and I-X give I-X, O gives O. Used to label the
    /// continuation pieces of a word when every sub-token is labelled.</summary>
    public static int InsideOf(int id)
    {
        var name = Name(id);
        return name.StartsWith("B-", StringComparison.Ordinal) ? Id("I-" + name[2..]) : id;
    }
}
