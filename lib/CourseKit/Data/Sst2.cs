using Microsoft.Data.Analysis;

namespace CourseKit.Data;

/// <summary>A labelled SST-2 sentence: label 1 = positive, 0 = negative.</summary>
public sealed record Sst2Example(string Sentence, int Label);

/// <summary>An unlabelled SST-2 test sentence (GLUE keeps the test labels private).</summary>
public sealed record Sst2TestExample(int Index, string Sentence);

/// <summary>Loads GLUE's SST-2 TSV files: train/dev are <c>sentence&lt;TAB&gt;label</c> with a header row; test is
/// <c>index&lt;TAB&gt;sentence</c>. GLUE's trailing space before the tab is trimmed from the sentence.</summary>
public static class Sst2
{
    /// <summary>"train" or "dev" from the registry's sst2-glue data set.</summary>
    public static IReadOnlyList<Sst2Example> Load(string split, DataRegistry? registry = null)
    {
        if (split is not ("train" or "dev"))
            throw new ArgumentException($"SST-2 split '{split}' has no labels or does not exist: use 'train' or 'dev' (or LoadTest).", nameof(split));
        return LoadFile((registry ?? DataRegistry.Default).Require("sst2-glue").File($"{split}.tsv"));
    }

    public static IReadOnlyList<Sst2Example> LoadFile(string path)
    {
        var examples = new List<Sst2Example>();
        foreach (var (number, line) in LineReader.LinesAfterHeader(path, "sentence\tlabel"))
        {
            var fields = line.Split('\t');
            if (fields.Length != 2)
                throw new DataFormatException(path, number, $"expected 2 tab-separated fields (sentence, label), got {fields.Length}: '{LineReader.Shorten(line)}'.");
            var label = fields[1] switch
            {
                "0" => 0,
                "1" => 1,
                _ => throw new DataFormatException(path, number, $"label must be 0 or 1, got '{LineReader.Shorten(fields[1])}'."),
            };
            var sentence = fields[0].TrimEnd();
            if (sentence.Length == 0) throw new DataFormatException(path, number, "empty sentence.");
            examples.Add(new Sst2Example(sentence, label));
        }
        if (examples.Count == 0) throw new DataFormatException(path, 1, "no examples.");
        return examples;
    }

    /// <summary>The unlabelled test split (1,821 sentences).</summary>
    public static IReadOnlyList<Sst2TestExample> LoadTest(DataRegistry? registry = null) =>
        LoadTestFile((registry ?? DataRegistry.Default).Require("sst2-glue").File("test.tsv"));

    public static IReadOnlyList<Sst2TestExample> LoadTestFile(string path)
    {
        var examples = new List<Sst2TestExample>();
        foreach (var (number, line) in LineReader.LinesAfterHeader(path, "index\tsentence"))
        {
            var tab = line.IndexOf('\t');
            if (tab < 0 || !int.TryParse(line.AsSpan(0, tab), out var index))
                throw new DataFormatException(path, number, $"expected 'index<TAB>sentence', got '{LineReader.Shorten(line)}'.");
            examples.Add(new Sst2TestExample(index, line[(tab + 1)..].TrimEnd()));
        }
        return examples;
    }

    /// <summary>Columns <c>sentence</c> (string) and <c>label</c> (int).</summary>
    public static DataFrame ToDataFrame(IEnumerable<Sst2Example> examples)
    {
        var list = examples as IReadOnlyList<Sst2Example> ?? examples.ToList();
        return new DataFrame(
            new StringDataFrameColumn("sentence", list.Select(e => e.Sentence)),
            new Int32DataFrameColumn("label", list.Select(e => e.Label)));
    }
}
