using System.CommandLine;
using System.Text.Json;
using CourseKit.Cli.Verbs;
using CourseKit.Data;
using CourseKit.Metrics;

namespace CourseKit.Tests.Metrics;

[KeepTensorsAlive]
public class ConllevalFileAndCliTests : IDisposable
{
    readonly string _dir = TestPaths.NewTempDir("coursekit-metrics");
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string Write(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    const string Sample =
        "-DOCSTART- -X- -X- O O\n\n" +
        "Peter NNP B-PER B-PER\nBlackburn NNP I-PER I-PER\nvisited VBD O O\nBonn NNP B-LOC B-ORG\n\n" +
        "EU NNP B-ORG B-ORG\nrejects VBZ O O\nGerman JJ B-MISC O\n";

    [Fact]
    public void Reads_sentences_with_the_last_two_columns_as_gold_and_predicted()
    {
        var s = ConllevalFile.Parse(Sample, "sample.txt");
        Assert.Equal(2, s.Count);
        Assert.Equal(new[] { "Peter", "Blackburn", "visited", "Bonn" }, s[0].Words);
        Assert.Equal(new[] { "B-PER", "I-PER", "O", "B-LOC" }, s[0].Gold);
        Assert.Equal(new[] { "B-PER", "I-PER", "O", "B-ORG" }, s[0].Predicted);
        Assert.Equal(3, s[0].FirstLine);
        Assert.Equal(8, s[1].FirstLine);

        var tabsAndTwoColumns = ConllevalFile.Parse("B-PER\tB-PER\nI-PER  O\n", "two.txt");
        Assert.Equal(new[] { "", "" }, tabsAndTwoColumns[0].Words);
        Assert.Equal(new[] { "B-PER", "O" }, tabsAndTwoColumns[0].Predicted);
    }

    [Fact]
    public void Write_then_read_round_trips()
    {
        var path = Path.Combine(_dir, "out.txt");
        var sentences = ConllevalFile.Parse(Sample, "sample.txt");
        ConllevalFile.Write(path, sentences);
        var back = ConllevalFile.Read(path);
        Assert.Equal(sentences.Select(s => s.Gold.Concat(s.Predicted).Concat(s.Words)), back.Select(s => s.Gold.Concat(s.Predicted).Concat(s.Words)));
    }

    [Theory]
    [InlineData("Peter B-PER B-PER\nBlackburn\n", 2, "got 1")]
    [InlineData("Peter B-PER B-PER\nBlackburn I-PER S-PER\n", 2, "unknown predicted tag")]
    [InlineData("Peter PER B-PER\n", 1, "unknown gold tag 'PER'")]
    [InlineData("Peter B-PER B-PER\nBlackburn NNP I-PER I-PER\n", 2, "4 columns where line 1 has 3")]
    public void Bad_lines_name_the_file_and_line(string content, int line, string problem)
    {
        var path = Write("bad.txt", content);
        var ex = Assert.Throws<DataFormatException>(() => ConllevalFile.Read(path));
        Assert.Equal(line, ex.Line);
        Assert.Contains($"{path}:{line}:", ex.Message);
        Assert.Contains(problem, ex.Message);
    }

    static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = MetricsVerb.Create().Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void Cli_prints_both_reports_and_writes_unrounded_json()
    {
        var input = Write("pred.txt", Sample);
        var json = Path.Combine(_dir, "scores.json");
        var (code, output, error) = Run("metrics", "ner", "--input", input, "--json", json);
        Assert.True(code == 0, error);
        Assert.Contains("   micro avg      0.714     0.714     0.714         7", output); // 5 of 7 tags right
        Assert.Contains("processed 7 tokens with 4 phrases; found: 3 phrases; correct: 2.", output);

        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var token = doc.RootElement.GetProperty("token");
        Assert.Equal(new[] { "B-LOC", "B-MISC", "B-ORG", "B-PER", "I-PER", "O", "micro avg", "macro avg", "weighted avg" },
            token.EnumerateObject().Select(p => p.Name));
        Assert.Equal(5.0 / 7.0, token.GetProperty("micro avg").GetProperty("f1").GetDouble(), tolerance: 1e-14);
        Assert.Equal(0.5, token.GetProperty("B-ORG").GetProperty("precision").GetDouble()); // B-ORG predicted twice, right once
        var entity = doc.RootElement.GetProperty("entity");
        Assert.Equal(new[] { "overall", "LOC", "MISC", "ORG", "PER" }, entity.EnumerateObject().Select(p => p.Name));
        Assert.Equal(4, entity.GetProperty("overall").GetProperty("support").GetInt64());
        Assert.Equal(2.0 / 3.0, entity.GetProperty("overall").GetProperty("precision").GetDouble(), tolerance: 1e-15);
        Assert.Equal(0.5, entity.GetProperty("overall").GetProperty("recall").GetDouble(), tolerance: 1e-15);
        Assert.Equal(4.0 / 7.0, entity.GetProperty("overall").GetProperty("f1").GetDouble(), tolerance: 1e-14);
        Assert.Equal(0, entity.GetProperty("LOC").GetProperty("f1").GetDouble());
    }

    [Fact]
    public void Cli_reports_bad_input_with_file_and_line()
    {
        var input = Write("bad.txt", "Peter B-PER B-PER\nBlackburn\n");
        var (code, _, error) = Run("metrics", "ner", "--input", input);
        Assert.Equal(1, code);
        Assert.Contains($"{input}:2:", error);
        var (missing, _, missingError) = Run("metrics", "ner", "--input", Path.Combine(_dir, "nope.txt"));
        Assert.Equal(1, missing);
        Assert.Contains("not found", missingError);
    }
}
