using CourseKit.Data;
using CourseKit.Tasks.Recommendation;
using CourseKit.Tests.Data;

namespace CourseKit.Tests.Tasks.Recommendation;

[KeepTensorsAlive]
public class RecommendationReportTests : IDisposable
{
    readonly Scratch _scratch = new();
    public void Dispose() => _scratch.Dispose();

    static ModelResult Row(string model, double validation, params int[] ranks)
    {
        var result = RecommenderEvaluation.Summarise(ranks, resamples: 200, seed: 1);
        return new ModelResult(model, "", validation, result, result, 1, null);
    }

    /// <summary>One user who rated movies 1..n in order: the report only reads the split's user and item counts.</summary>
    (string Dir, LeaveOneOutSplit Split) OneUser(string name, int movies)
    {
        var dir = _scratch.NewDir(name);
        File.WriteAllText(Path.Combine(dir, "movies.csv"), "movieId,title,genres\n" + string.Concat(Enumerable.Range(1, movies).Select(m => $"{m},M{m} (1990),Drama\n")));
        File.WriteAllText(Path.Combine(dir, "ratings.csv"), "userId,movieId,rating,timestamp\n" + string.Concat(Enumerable.Range(1, movies).Select(m => $"1,{m},4.0,{m}\n")));
        return (dir, LeaveOneOutSplit.From(MovieLensData.LoadFolder(dir)));
    }

    [Fact]
    public void Transformer_and_classical_pair_is_chosen_on_validation_not_on_test()
    {
        var (dir, split) = OneUser("movielens-pair", 4);
        ModelResult[] rows =
        [
            Row("popularity", 0.01, 50, 50, 50, 50),
            Row("itemknn", 0.05, 0, 3, 50, 50),       // best classical on validation
            Row("mf", 0.02, 0, 0, 0, 50),             // best classical on test
            Row("sasrec", 0.06, 1, 1, 1, 50),         // best Transformer on validation
            Row("hybrid", 0.04, 0, 0, 0, 0),          // best on test
        ];
        var report = RecommendationReport.Create(rows, split, 0, RecommendationOptions.For(Profile.Quick, dir) with { BootstrapResamples = 200 }, 1);

        Assert.Equal(("hybrid", "mf"), (report.BestTwo!.A, report.BestTwo.B));
        var pair = report.TransformerVsClassical!;
        Assert.Equal(("sasrec", "itemknn"), (pair.A, pair.B));
        // NDCG@10 of rank r is 1/log2(r + 2): sasrec 3 × 1/log2(3), itemknn 1 + 1/log2(5), over 4 users.
        double expected = (3 / Math.Log2(3) - (1 + 1 / Math.Log2(5))) / 4;
        Assert.Equal(expected, pair.Difference.Mean, 12);
        Assert.Contains("chosen on validation: test NDCG@10 sasrec − itemknn", report.ToMarkdown());

        report.Save(dir);
        Assert.Contains("pairedTransformerVsClassical", File.ReadAllText(Path.Combine(dir, RecommendationReport.MetricsJson)));
        Assert.Equal(rows.Length + 1, File.ReadAllLines(Path.Combine(dir, RecommendationReport.ResultsCsv)).Length);
    }

    [Fact]
    public void No_pair_without_both_kinds()
    {
        var (dir, split) = OneUser("movielens-one-kind", 3);
        var report = RecommendationReport.Create([Row("popularity", 0.01, 5), Row("itemknn", 0.02, 1)], split, 0,
            RecommendationOptions.For(Profile.Quick, dir), 1);
        Assert.Null(report.TransformerVsClassical);
        Assert.NotNull(report.BestTwo);
    }
}
