using System.Globalization;
using System.Text;
using System.Text.Json;
using CourseKit.Checkpoints;
using CourseKit.Metrics;
using Microsoft.Data.Analysis;

namespace CourseKit.Tasks.Recommendation;

/// <summary>The results table (one row per model, every figure with its 95 % interval), the paired comparison of the
/// best two models by test NDCG@10, and the protocol they were measured under.</summary>
public sealed record RecommendationReport(IReadOnlyList<ModelResult> Rows, PairedComparison? BestTwo, string Protocol,
    int Users, int Items, int ColdUsers, int ColdMaxInteractions, double WallSeconds)
{
    /// <summary>The sequence Transformer with the best validation NDCG@10 against the classical baseline with the best
    /// validation NDCG@10, paired on test NDCG@10 (null unless both kinds ran). Chosen on validation, so the test
    /// comparison answers "is the Transformer ahead?" without picking the pair on test.</summary>
    public PairedComparison? TransformerVsClassical { get; init; }


    public const string ResultsCsv = "results.csv", ResultsMarkdown = "results.md", MetricsJson = "metrics.json";

    public static RecommendationReport Create(IReadOnlyList<ModelResult> rows, LeaveOneOutSplit split, int coldUsers,
        RecommendationOptions options, double wallSeconds)
    {
        var ranked = rows.OrderByDescending(r => r.Test.NdcgAt(10).Mean).ToList();
        PairedComparison? paired = ranked.Count < 2 ? null : Bootstrap.Paired(ranked[0].Model, RankingMetrics.Ndcgs(ranked[0].Test.Ranks, 10),
            ranked[1].Model, RankingMetrics.Ndcgs(ranked[1].Test.Ranks, 10), options.BootstrapResamples, options.Seed);
        return new RecommendationReport(rows, paired, RecommenderEvaluation.Protocol, split.UserCount, split.ItemCount, coldUsers,
            options.ColdMaxInteractions, wallSeconds) { TransformerVsClassical = PairChosenOnValidation(rows, options) };
    }

    static PairedComparison? PairChosenOnValidation(IReadOnlyList<ModelResult> rows, RecommendationOptions options)
    {
        ModelResult? BestOf(IReadOnlyList<string> names) => rows.Where(r => names.Contains(r.Model)).OrderByDescending(r => r.ValidationNdcg10).FirstOrDefault();
        if (BestOf(RecommendationOptions.TransformerModels) is not { } transformer || BestOf(RecommendationOptions.ClassicalModels) is not { } classical) return null;
        return Bootstrap.Paired(transformer.Model, RankingMetrics.Ndcgs(transformer.Test.Ranks, 10),
            classical.Model, RankingMetrics.Ndcgs(classical.Test.Ranks, 10), options.BootstrapResamples, options.Seed);
    }

    static string Cell(Interval i) => string.Create(CultureInfo.InvariantCulture, $"{i.Mean:F4} [{i.Low:F4}, {i.High:F4}]");

    /// <summary>One row per model: settings, validation NDCG@10, test HR/NDCG at 5, 10, 20 and the cold slice's @10.</summary>
    public DataFrame ToDataFrame()
    {
        var columns = new List<DataFrameColumn>
        {
            new StringDataFrameColumn("model", Rows.Select(r => r.Model)),
            new StringDataFrameColumn("tuned", Rows.Select(r => r.Settings)),
            new DoubleDataFrameColumn("valid NDCG@10", Rows.Select(r => Math.Round(r.ValidationNdcg10, 4))),
        };
        foreach (var k in RankingMetrics.StandardCutoffs)
        {
            columns.Add(new StringDataFrameColumn($"HR@{k}", Rows.Select(r => Cell(r.Test.HitRateAt(k)))));
            columns.Add(new StringDataFrameColumn($"NDCG@{k}", Rows.Select(r => Cell(r.Test.NdcgAt(k)))));
        }
        columns.Add(new StringDataFrameColumn("cold HR@10", Rows.Select(r => Cell(r.Cold.HitRateAt(10)))));
        columns.Add(new StringDataFrameColumn("cold NDCG@10", Rows.Select(r => Cell(r.Cold.NdcgAt(10)))));
        columns.Add(new DoubleDataFrameColumn("fit s", Rows.Select(r => Math.Round(r.FitSeconds, 1))));
        columns.Add(new StringDataFrameColumn("sequences/s", Rows.Select(r => r.SequencesPerSecond is { } s ? s.ToString("F0", CultureInfo.InvariantCulture) : "")));
        return new DataFrame(columns);
    }

    public string ToMarkdown()
    {
        var df = ToDataFrame();
        var text = new StringBuilder();
        text.AppendLine($"MovieLens ml-latest-small, {Users} users, {Items} items. Protocol: {Protocol}.");
        text.AppendLine($"Cold slice: {ColdUsers} users whose test item has ≤ {ColdMaxInteractions} training interactions.").AppendLine();
        text.AppendLine("| " + string.Join(" | ", df.Columns.Select(c => c.Name)) + " |");
        text.AppendLine("|" + string.Concat(df.Columns.Select(_ => "---|")));
        foreach (var row in df.Rows)
            text.AppendLine("| " + string.Join(" | ", row.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture))) + " |");
        if (BestTwo is { } p)
            text.AppendLine().AppendLine(PairLine("the best two on test", p));
        if (TransformerVsClassical is { } q)
            text.AppendLine().AppendLine(PairLine("the Transformer and the classical baseline chosen on validation", q));
        return text.ToString();
    }

    static string PairLine(string which, PairedComparison p) => string.Create(CultureInfo.InvariantCulture,
        $"Paired bootstrap over users, {which}: test NDCG@10 {p.A} − {p.B} = {Cell(p.Difference)}; share of resamples where {p.A} is not better: {p.ShareNotBetter:F3}.");

    public string ToJson() => JsonSerializer.Serialize(new
    {
        protocol = Protocol, users = Users, items = Items, coldUsers = ColdUsers, coldMaxInteractions = ColdMaxInteractions,
        wallSeconds = WallSeconds,
        models = Rows.Select(r => new
        {
            model = r.Model, tuned = r.Settings, validationNdcg10 = r.ValidationNdcg10, fitSeconds = r.FitSeconds,
            sequencesPerSecond = r.SequencesPerSecond,
            test = Figures(r.Test), cold = Figures(r.Cold),
        }),
        pairedBestTwo = BestTwo,
        pairedTransformerVsClassical = TransformerVsClassical,
    }, new JsonSerializerOptions { WriteIndented = true });

    static object Figures(RankingResult r) => RankingMetrics.StandardCutoffs.ToDictionary(k => k.ToString(CultureInfo.InvariantCulture),
        k => new { hr = r.HitRateAt(k), ndcg = r.NdcgAt(k) });

    public void Save(string dir)
    {
        Directory.CreateDirectory(dir);
        using (var csv = new MemoryStream())
        {
            DataFrame.SaveCsv(ToDataFrame(), csv, cultureInfo: CultureInfo.InvariantCulture);
            AtomicFile.WriteAllBytes(Path.Combine(dir, ResultsCsv), csv.ToArray());
        }
        AtomicFile.WriteAllText(Path.Combine(dir, ResultsMarkdown), ToMarkdown());
        AtomicFile.WriteAllText(Path.Combine(dir, MetricsJson), ToJson());
    }
}
