namespace CourseKit.Data;

/// <summary>Unlabelled text for language modelling: Tiny Shakespeare and WikiText-2 (valid/test).</summary>
public static class TextCorpora
{
    /// <summary>The whole Tiny Shakespeare text (1,115,394 ASCII characters).</summary>
    public static string TinyShakespeare(DataRegistry? registry = null) =>
        File.ReadAllText((registry ?? DataRegistry.Default).Require("tiny-shakespeare").File("input.txt"));

    /// <summary>The lines of a WikiText-2 split ("valid" or "test"; the train split is not in the course data),
    /// exactly as in the file: article titles like " = Title = ", blank lines and <c>&lt;unk&gt;</c> tokens included.</summary>
    public static IReadOnlyList<string> WikiText2Lines(string split = "valid", DataRegistry? registry = null)
    {
        var file = split switch
        {
            "valid" or "validation" => "wiki.valid.tokens",
            "test" => "wiki.test.tokens",
            "train" => throw new ArgumentException(
                "The WikiText-2 train split is not part of the course data (see datasets/wikitext-2/SOURCE.md); use 'valid' or 'test'.", nameof(split)),
            _ => throw new ArgumentException($"Unknown WikiText-2 split '{split}': use 'valid' or 'test'.", nameof(split)),
        };
        return File.ReadAllLines((registry ?? DataRegistry.Default).Require("wikitext-2").File(file));
    }
}
