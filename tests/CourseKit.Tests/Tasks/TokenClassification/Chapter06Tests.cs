using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CourseKit.Native;
using CourseKit.Notebooks;
using CourseKit.Tests.Data;

namespace CourseKit.Tests.Tasks.TokenClassification;

/// <summary>notebooks/06-ner-conll2003.ipynb, run in-process in the quick profile (random-init small BERT: the model
/// folder parameter points nowhere, so the run does not depend on whether `course pretrain bert` was run).</summary>
[Collection("Notebooks")]
[KeepTensorsAlive]
public class Chapter06Tests
{
    static readonly string Notebook = TestPaths.InRepo("notebooks", "06-ner-conll2003.ipynb");

    public Chapter06Tests() => TorchRuntime.Initialize();

    [Fact]
    public async Task Ner_chapter_runs_in_the_quick_profile()
    {
        var result = await new NotebookRunner(new NotebookRunOptions
        {
            Profile = "quick",
            Parameters = new Dictionary<string, string>
            {
                ["dataMirror"] = DataTestSupport.SharedDatasets,
                ["modelDir"] = "artifacts/models/no-such-model-ch06-test",
            },
        }).RunAsync(Notebook);

        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.Equal(300, result.Parameters["trainSentences"]!.GetValue<int>());
        var outputs = result.Cells.SelectMany(c => c.Outputs).ToList();
        var stdout = string.Concat(result.Cells.Select(c => c.Stream("stdout")));

        // Split counts as in the data set's SOURCE.md.
        Assert.Matches(@"train\s+946\s+14,041\s+203,621\s+23,499", stdout);
        Assert.Matches(@"test\s+231\s+3,453\s+46,435\s+5,648", stdout);
        Assert.Contains("test words tagged O: 38,323 of 46,435", stdout);
        // IOB1 vs IOB2: a word tagged I-X in the original and B-X after conversion.
        Assert.Matches(@"\n\S+\s+I-(LOC|MISC|ORG|PER)\s+B-\1\n", stdout);
        // Alignment: continuation pieces and specials ignored.
        Assert.Matches(@"\n\[CLS\]\s+-100\s+\(ignored\)", stdout);
        Assert.Matches(@"\n##\S+\s+\S+\s+-100\s+\(ignored\)", stdout);
        Assert.Contains("RANDOMLY INITIALISED", stdout);

        // The report in the article's layout, and micro avg = accuracy shown with both numbers.
        Assert.Matches(@"\n\s+micro avg\s+\d\.\d{3}\s+\d\.\d{3}\s+\d\.\d{3}\s+\d+\n", stdout);
        var equal = Regex.Match(stdout, @"micro avg F1 (\d\.\d+) = token accuracy ([\d,]+)/([\d,]+) = (\d\.\d+)");
        Assert.True(equal.Success, stdout);
        Assert.Equal(equal.Groups[1].Value, equal.Groups[4].Value);
        long words = long.Parse(equal.Groups[3].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        Assert.InRange(words, 5_000, 9_000); // 500 of 3,453 test sentences (13.4 words each on average)
        Assert.Contains("processed " + words + " tokens", stdout); // conlleval's own count of the same words

        // Charts: training curves, a row-normalised confusion heatmap, bars against the article.
        var figures = outputs.Select(o => o["data"]?["application/vnd.plotly.v1+json"]).Where(f => f is not null).ToList();
        Assert.Contains(figures, f => f!["data"]?[0]?["type"]?.GetValue<string>() == "scatter");
        var heatmap = figures.Single(f => f!["data"]![0]!["type"]!.GetValue<string>() == "heatmap")!["data"]![0]!;
        var z = heatmap["z"]!.AsArray();
        Assert.Equal(heatmap["x"]!.AsArray().Count, z.Count);
        Assert.All(z, row => Assert.InRange(row!.AsArray().Sum(v => v!.GetValue<double>()), 1 - 1e-9, 1 + 1e-9));
        var bars = figures.Single(f => f!["data"]![0]!["type"]!.GetValue<string>() == "bar")!["data"]!.AsArray();
        var article = bars.Single(b => b!["name"]!.GetValue<string>() == "article")!;
        Assert.Equal(["B-LOC", "I-LOC", "B-MISC", "I-MISC", "B-ORG", "I-ORG", "B-PER", "I-PER", "O"], article["x"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal([0.916, 0.850, 0.865, 0.809, 0.906, 0.902, 0.960, 0.982, 0.994], article["y"]!.AsArray().Select(v => v!.GetValue<double>()));

        // Ten most frequent errors, each gold ≠ predicted.
        var errorLines = Regex.Matches(stdout, @"\n([BI]-\w+|O) → ([BI]-\w+|O)\s+(\d+)  ").ToList();
        Assert.InRange(errorLines.Count, 1, 10);
        Assert.All(errorLines, m => Assert.NotEqual(m.Groups[1].Value, m.Groups[2].Value));
        var counts = errorLines.Select(m => int.Parse(m.Groups[3].Value)).ToList();
        Assert.Equal(counts.OrderByDescending(c => c), counts);

        // Both decodings of the same test scores: argmax is the report's reading, the constrained one is listed beside it.
        Assert.Matches(@"argmax predictions with an I- tag that IOB2 forbids: [\d,]+ of [\d,]+ words", stdout);
        var argmaxRow = Regex.Match(stdout, @"\nargmax\s+(\d\.\d{4})\s");
        var constrainedRow = Regex.Match(stdout, @"\niob2_constrained\s+(\d\.\d{4})\s");
        Assert.True(argmaxRow.Success && constrainedRow.Success, stdout);
        var entityF1 = double.Parse(Regex.Match(stdout, @"entity F1 \(conlleval\) (\d\.\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        // Same number printed to 6 and to 4 digits: re-rounding the 6-digit text could differ in the last digit.
        Assert.Equal(entityF1, double.Parse(argmaxRow.Groups[1].Value, CultureInfo.InvariantCulture), tolerance: 0.5e-4 + 0.5e-6);

        // The reader's sentences come back word by word, each with at most one tag.
        var tagged = stdout.Split('\n').Single(l => l.StartsWith("Angela", StringComparison.Ordinal));
        Assert.Equal("Angela Merkel met Emmanuel Macron in Paris on Tuesday .", Regex.Replace(tagged, @"/[BI]-(LOC|MISC|ORG|PER)", ""));
    }

    /// <summary>The default path: all-MiniLM-L6-v2 (uncased, imported on first use) on a few sentences.</summary>
    [Fact]
    public async Task Ner_chapter_runs_on_the_default_encoder()
    {
        var result = await new NotebookRunner(new NotebookRunOptions
        {
            Profile = "quick",
            Parameters = new Dictionary<string, string>
            {
                ["dataMirror"] = DataTestSupport.SharedDatasets,
                ["trainSentences"] = "32", ["validSentences"] = "16", ["testSentences"] = "40", ["epochs"] = "1", ["maxLength"] = "48", // above the stride (32) + 2
            },
        }).RunAsync(Notebook);
        Assert.True(result.Succeeded, result.FailureMessage);
        var stdout = string.Concat(result.Cells.Select(c => c.Stream("stdout")));
        Assert.DoesNotContain("RANDOMLY INITIALISED", stdout);
        var allOutputs = string.Concat(result.Cells.SelectMany(c => c.Outputs).Select(o => o.ToJsonString()));
        Assert.Contains("BertForTokenClassification from", allOutputs);
        Assert.Contains("all-MiniLM-L6-v2", allOutputs);
        Assert.Matches(@"entity F1 \(conlleval\) \d\.\d+", stdout);
        var tagged = stdout.Split('\n').Single(l => l.StartsWith("angela", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("Angela Merkel met Emmanuel Macron in Paris on Tuesday .", Regex.Replace(tagged, @"/[BI]-(LOC|MISC|ORG|PER)", ""));
    }
}
