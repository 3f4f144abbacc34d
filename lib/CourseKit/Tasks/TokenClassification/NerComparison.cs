using System.Globalization;
using System.Text;
using CourseKit.Metrics;

namespace CourseKit.Tasks.TokenClassification;

/// <summary>comparison.md: the article's token-level table next to ours, row by row, with the differences, and our
/// entity-level (conlleval) scores, which the article does not report.</summary>
public static class NerComparison
{
    /// <summary>Our score for one of the article's rows (a tag or an average); null when the tag never occurs.</summary>
    public static ClassScores? Ours(TokenClassificationReport report, string row) => row switch
    {
        "micro avg" => report.MicroAverage,
        "macro avg" => report.MacroAverage,
        "weighted avg" => report.WeightedAverage,
        _ => report.PerLabel.TryGetValue(row, out var s) ? s : null,
    };

    public static string Markdown(NerEvaluation ours, string title, IEnumerable<string> notes)
    {
        var sb = new StringBuilder();
        sb.Append("# ").Append(title).Append("\n\n");
        foreach (var note in notes) sb.Append("- ").Append(note).Append('\n');
        sb.Append("\n## Token level (the article's table)\n\n");
        sb.Append("Article: ").Append(NerArticleReference.Description).Append(". Differences are ours − article.\n\n");
        sb.Append("| row | P article | P ours | ΔP | R article | R ours | ΔR | F1 article | F1 ours | ΔF1 | support article | support ours |\n");
        sb.Append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        foreach (var (row, a) in NerArticleReference.Rows)
        {
            var o = Ours(ours.Token, row);
            sb.Append("| ").Append(row);
            foreach (var (article, mine) in new[] { (a.Precision, o?.Precision), (a.Recall, o?.Recall), (a.F1, o?.F1) })
                sb.Append(" | ").Append(F(article)).Append(" | ").Append(mine is { } m ? F(m) : "—").Append(" | ").Append(mine is { } d ? Signed(d - article) : "—");
            sb.Append(" | ").Append(a.Support.ToString(CultureInfo.InvariantCulture)).Append(" | ").Append(o?.Support.ToString(CultureInfo.InvariantCulture) ?? "0").Append(" |\n");
        }
        sb.Append("\nThe micro average over all tags, O included, equals token accuracy (every word has exactly one gold and one predicted tag, ")
          .Append("so micro precision = micro recall = correct words / words); with 82.5 % of the test words tagged O it is dominated by O.\n");
        sb.Append("\n## Entity level (conlleval, the metric of record for CoNLL-2003)\n\n");
        sb.Append("The article does not report it; an entity counts only when its type and both boundaries are right.\n\n");
        sb.Append("| type | precision | recall | F1 | gold entities | predicted entities |\n|---|---:|---:|---:|---:|---:|\n");
        foreach (var type in ours.Entity.Types)
            Row(sb, type, ours.Entity.PerType[type]);
        Row(sb, "overall", ours.Entity.Overall);
        return sb.ToString();
    }

    static void Row(StringBuilder sb, string name, ChunkCounts c) =>
        sb.Append("| ").Append(name).Append(" | ").Append(F(c.Scores.Precision)).Append(" | ").Append(F(c.Scores.Recall)).Append(" | ")
          .Append(F(c.Scores.F1)).Append(" | ").Append(c.Gold).Append(" | ").Append(c.Predicted).Append(" |\n");

    static string F(double v) => PythonFormat.Fixed(v, 3);
    static string Signed(double v) => (v >= 0 ? "+" : "−") + PythonFormat.Fixed(Math.Abs(v), 3);
}
