namespace CourseKit.Data;

/// <summary>
/// How chunk tags mark where an entity starts. IOB1 (the original CoNLL-2003 files): entities are I-X; B-X only marks
/// an entity that directly follows another of the same type X. IOB2: every entity starts with B-X.
/// </summary>
public enum TagScheme { Iob1, Iob2 }

/// <summary>Conversions and checks for IOB tag sequences (one sentence; tags O, B-X, I-X with any type X).</summary>
public static class TagSchemes
{
    /// <summary>IOB1 → IOB2: an I-X that does not continue an X entity (after O, a different type, or at the start) becomes B-X.</summary>
    public static string[] Iob1ToIob2(IReadOnlyList<string> tags)
    {
        var result = new string[tags.Count];
        for (int i = 0; i < tags.Count; i++)
        {
            var (prefix, type) = Split(tags[i]);
            bool continues = i > 0 && TypeOf(tags[i - 1]) == type;
            result[i] = prefix == "I" && !continues ? "B-" + type : tags[i];
        }
        return result;
    }

    /// <summary>IOB2 → IOB1: a B-X becomes I-X unless the previous tag has the same type X (then it stays B-X, the
    /// boundary between two touching X entities).</summary>
    public static string[] Iob2ToIob1(IReadOnlyList<string> tags)
    {
        var result = new string[tags.Count];
        for (int i = 0; i < tags.Count; i++)
        {
            var (prefix, type) = Split(tags[i]);
            bool touches = i > 0 && TypeOf(tags[i - 1]) == type;
            result[i] = prefix == "B" && !touches ? "I-" + type : tags[i];
        }
        return result;
    }

    public static string[] Convert(IReadOnlyList<string> tags, TagScheme from, TagScheme to) =>
        from == to ? tags.ToArray() : to == TagScheme.Iob2 ? Iob1ToIob2(tags) : Iob2ToIob1(tags);

    /// <summary>The index of the first tag that breaks <paramref name="scheme"/> and why, or null when the sequence is
    /// valid. IOB2: I-X must follow B-X or I-X. IOB1: B-X must follow B-X or I-X.</summary>
    public static (int Index, string Problem)? FindViolation(IReadOnlyList<string> tags, TagScheme scheme)
    {
        for (int i = 0; i < tags.Count; i++)
        {
            var (prefix, type) = Split(tags[i]);
            var previous = i == 0 ? null : tags[i - 1];
            bool continues = previous is not null && TypeOf(previous) == type;
            if (scheme == TagScheme.Iob2 && prefix == "I" && !continues)
                return (i, $"{tags[i]} after {previous ?? "the sentence start"}: in IOB2 an entity starts with B-{type}");
            if (scheme == TagScheme.Iob1 && prefix == "B" && !continues)
                return (i, $"{tags[i]} after {previous ?? "the sentence start"}: in IOB1 B-{type} only follows another {type} entity");
        }
        return null;
    }

    /// <summary>("O", null) for O; ("B"|"I", type) for B-type / I-type. Other tags throw.</summary>
    public static (string Prefix, string? Type) Split(string tag)
    {
        if (tag == "O") return ("O", null);
        if (tag.Length > 2 && tag[1] == '-' && tag[0] is 'B' or 'I') return (tag[..1], tag[2..]);
        throw new FormatException($"'{tag}' is not an IOB tag (O, B-TYPE or I-TYPE).");
    }

    public static bool IsIobTag(string tag) => tag == "O" || tag.Length > 2 && tag[1] == '-' && tag[0] is 'B' or 'I';

    static string? TypeOf(string tag) => Split(tag).Type;
}
