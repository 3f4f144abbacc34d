namespace CourseKit.Data;

/// <summary>Counts of one CoNLL split: sentences, words and entities (IOB2 chunks) per type.</summary>
public sealed record ConllCounts(int Documents, int Sentences, int Tokens, IReadOnlyDictionary<string, int> EntitiesPerType)
{
    public int Entities => EntitiesPerType.Values.Sum();

    public static ConllCounts Of(IReadOnlyList<ConllSentence> sentences, TagScheme scheme = TagScheme.Iob2)
    {
        var perType = NerLabels.EntityTypes.ToDictionary(t => t, _ => 0, StringComparer.Ordinal);
        foreach (var s in sentences)
        {
            var iob2 = scheme == TagScheme.Iob2 ? s.Tags : TagSchemes.Iob1ToIob2(s.Tags);
            foreach (var tag in iob2)
                if (tag.StartsWith("B-", StringComparison.Ordinal)) perType[tag[2..]] = perType.GetValueOrDefault(tag[2..]) + 1;
        }
        int documents = sentences.Count == 0 ? 0 : sentences.Select(s => s.DocumentIndex).Distinct().Count();
        return new ConllCounts(documents, sentences.Count, sentences.Sum(s => s.Length), perType);
    }
}

/// <summary>The CoNLL-2003 English NER splits through the data registry (data set <c>conll2003</c>).</summary>
public static class Conll2003
{
    public const string DatasetName = "conll2003";
    public static IReadOnlyList<string> Splits { get; } = ["train", "valid", "test"];

    /// <summary>
    /// A split ("train", "valid" or "test"; the original names "testa"/"testb" also work) with tags in
    /// <paramref name="scheme"/>. By default the IOB2 files are read (converted when IOB1 is asked for);
    /// <paramref name="fromOriginalIob1"/> reads the original IOB1 <c>eng.*</c> files instead (converted to IOB2 when asked).
    /// </summary>
    public static IReadOnlyList<ConllSentence> Load(string split, TagScheme scheme = TagScheme.Iob2, DataRegistry? registry = null,
        bool fromOriginalIob1 = false)
    {
        var name = Canonical(split);
        var dataset = (registry ?? DataRegistry.Default).Require(DatasetName);
        return fromOriginalIob1
            ? Conll.ReadFile(dataset.File($"iob1_original/eng.{name switch { "train" => "train", "valid" => "testa", _ => "testb" }}"), TagScheme.Iob1, scheme)
            : Conll.ReadFile(dataset.File($"iob2/{name}.txt"), TagScheme.Iob2, scheme);
    }

    static string Canonical(string split) => split switch
    {
        "train" => "train",
        "valid" or "validation" or "dev" or "testa" => "valid",
        "test" or "testb" => "test",
        _ => throw new ArgumentException($"CoNLL-2003 split '{split}' does not exist: use train, valid or test (testa/testb).", nameof(split)),
    };
}
