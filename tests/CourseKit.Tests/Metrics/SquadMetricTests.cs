using System.CommandLine;
using System.Text.Json;
using CourseKit.Cli.Verbs;
using CourseKit.Data;
using CourseKit.Metrics;

namespace CourseKit.Tests.Metrics;

/// <summary>The official SQuAD v1.1 metric: hand-worked cases, then the two real leaderboard files on XQuAD-en.</summary>
[KeepTensorsAlive]
public class SquadMetricTests : IDisposable
{
    readonly string _dir = TestPaths.NewTempDir("coursekit-squad-metric");
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("The  Denver Broncos!", "denver broncos")]
    [InlineData("an apple, a pear", "apple pear")]
    [InlineData("Theatre", "theatre")]            // "the" only as a whole word
    [InlineData("6½ sacks", "6½ sacks")]          // non-ASCII symbols are not punctuation in the official script
    [InlineData("U.S.-based", "usbased")]
    public void Normalizes_as_the_official_script(string text, string expected) => Assert.Equal(expected, SquadMetric.Normalize(text));

    [Fact]
    public void Hand_worked_exact_match_and_f1()
    {
        // prediction "the Denver Broncos" vs gold "Denver Broncos": normalised equal → EM 1, F1 1.
        Assert.True(SquadMetric.ExactMatch("the Denver Broncos", "Denver Broncos"));
        Assert.Equal(1.0, SquadMetric.F1("the Denver Broncos", "Denver Broncos"), 12);
        // "Santa Clara" vs "Santa Clara, California": 2 shared tokens, precision 2/2, recall 2/3 → F1 = 0.8.
        Assert.False(SquadMetric.ExactMatch("Santa Clara", "Santa Clara, California"));
        Assert.Equal(0.8, SquadMetric.F1("Santa Clara", "Santa Clara, California"), 12);
        // Counts with multiplicity: "new new york" vs "new york": same 2, P 2/3, R 1 → 0.8.
        Assert.Equal(0.8, SquadMetric.F1("new new york", "new york"), 12);
        // Nothing shared → 0; an answer that normalises to nothing scores 0 F1.
        Assert.Equal(0.0, SquadMetric.F1("gold", "Levi's Stadium"));
        Assert.Equal(0.0, SquadMetric.F1("the", "a"));
    }

    [Fact]
    public void Takes_the_best_gold_answer_and_counts_missing_predictions_as_zero()
    {
        var data = SquadReader.Parse("""
            {"data": [{"title": "t", "paragraphs": [{"context": "Santa Clara, California hosted it in 2016.", "qas": [
              {"id": "q1", "question": "Where?", "answers": [{"text": "Santa Clara, California", "answer_start": 0}, {"text": "Santa Clara", "answer_start": 0}]},
              {"id": "q2", "question": "When?", "answers": [{"text": "2016", "answer_start": 37}]},
              {"id": "q3", "question": "Who?", "answers": [{"text": "California", "answer_start": 13}]}]}]}]}
            """, "inline.json");
        var scores = SquadMetric.Evaluate(data, new Dictionary<string, string> { ["q1"] = "Santa Clara", ["q2"] = "in 2016" });
        // q1: EM 1 (second gold), q2: EM 0, F1 2·(1/2·1)/(1/2+1) = 2/3, q3: missing → 0.
        Assert.Equal(100.0 / 3, scores.ExactMatch, 9);
        Assert.Equal(100.0 * (1 + 2.0 / 3) / 3, scores.F1, 9);
        Assert.Equal(new[] { "q3" }, scores.MissingIds);
        Assert.Equal(3, scores.Total);
    }

    [Theory]
    [InlineData("bert-ensemble", 74.874, 86.325, 0)]
    [InlineData("logistic-regression", 34.538, 45.852, 2)]
    public void Leaderboard_files_score_as_published_on_xquad_en(string model, double em, double f1, int missing)
    {
        var data = SquadReader.Load(Path.Combine(TestPaths.InRepo("datasets", "xquad"), "xquad.en.json"));
        var predictions = Path.Combine(TestPaths.InRepo("datasets", "xquad"), "leaderboard-predictions", $"squad-v1.1-dev.{model}.json");
        var scores = SquadMetric.Evaluate(data, SquadMetric.LoadPredictions(predictions));
        Assert.Equal(1190, scores.Total);
        Assert.Equal(em, Math.Round(scores.ExactMatch, 3));
        Assert.Equal(f1, Math.Round(scores.F1, 3));
        Assert.Equal(missing, scores.MissingIds.Count);
    }

    [Fact]
    public void Cli_prints_the_scores_and_writes_json()
    {
        var json = Path.Combine(_dir, "scores.json");
        var xquad = TestPaths.InRepo("datasets", "xquad");
        var output = new StringWriter();
        var error = new StringWriter();
        var code = MetricsVerb.Create().Parse(new[] { "squad", "--data", Path.Combine(xquad, "xquad.en.json"),
            "--predictions", Path.Combine(xquad, "leaderboard-predictions", "squad-v1.1-dev.logistic-regression.json"), "--json", json })
            .Invoke(new InvocationConfiguration { Output = output, Error = error });
        Assert.Equal(0, code);
        Assert.Contains("exact_match 34.538  f1 45.852", output.ToString());
        Assert.Contains("unanswered question 5726385e271a42140099d799", output.ToString());
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(2, doc.RootElement.GetProperty("missing").GetInt32());
        Assert.Equal(45.852, Math.Round(doc.RootElement.GetProperty("f1").GetDouble(), 3));
    }
}
