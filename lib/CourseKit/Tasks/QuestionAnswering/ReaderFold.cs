using System.Text.Json;
using System.Text.Json.Nodes;
using CourseKit.Checkpoints;
using CourseKit.Data;

namespace CourseKit.Tasks.QuestionAnswering;

/// <summary>
/// Which articles a saved reader never trained on: <c>qa train</c> writes it next to the model (the first fold's
/// reader), and <c>qa eval</c> scores that reader on those articles only. A reader trained on XQuAD and scored on all of
/// XQuAD would be graded partly on its own training questions.
/// </summary>
/// <param name="HeldOutTitles">the held-out articles' titles, in index order (null in files written before they were
/// kept): indices alone would accept another file with as many articles.</param>
public sealed record ReaderFold(int Fold, int Folds, int SplitSeed, IReadOnlyList<int> HeldOutArticles, IReadOnlyList<string>? HeldOutTitles = null)
{
    public const string FileName = "qa_fold.json";

    public static ReaderFold Of(SquadFold fold, int folds, int splitSeed)
    {
        var articles = fold.Test.Articles.OrderBy(a => a.Index).ToList();
        return new(fold.Index, folds, splitSeed, articles.Select(a => a.Index).ToList(), articles.Select(a => a.Title).ToList());
    }

    public void Save(string modelDir) => AtomicFile.WriteAllText(Path.Combine(modelDir, FileName), new JsonObject
    {
        ["fold"] = Fold, ["folds"] = Folds, ["split_seed"] = SplitSeed,
        ["held_out_articles"] = new JsonArray(HeldOutArticles.Select(a => (JsonNode)a).ToArray()),
        ["held_out_titles"] = HeldOutTitles is null ? null : new JsonArray(HeldOutTitles.Select(t => (JsonNode)t).ToArray()),
        ["note"] = "articles (by index in the data set) this reader never trained on; qa eval scores it on these",
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");

    /// <summary>The fold file of <paramref name="modelDir"/>, or null when it has none (a reader trained elsewhere).</summary>
    public static ReaderFold? Load(string modelDir)
    {
        var path = Path.Combine(modelDir, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            var j = JsonNode.Parse(File.ReadAllText(path)) ?? throw new InvalidDataException("empty");
            int Field(string name) => j[name]?.GetValue<int>() ?? throw new InvalidDataException($"missing field '{name}'");
            var articles = j["held_out_articles"]?.AsArray().Select(a => a!.GetValue<int>()).ToList()
                           ?? throw new InvalidDataException("missing field 'held_out_articles'");
            var titles = j["held_out_titles"]?.AsArray().Select(t => t!.GetValue<string>()).ToList();
            return new ReaderFold(Field("fold"), Field("folds"), Field("split_seed"), articles, titles);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or InvalidDataException)
        {
            throw new InvalidDataException($"{path}: not a reader fold file ({e.Message})", e);
        }
    }

    /// <summary>The questions of fold <paramref name="fold"/>'s held-out articles, split as <c>qa train</c> splits.</summary>
    public static IReadOnlyList<SquadQuestion> HeldOutQuestions(SquadDataset data, int fold, int folds, int splitSeed)
    {
        var all = SquadSplits.KFoldByArticle(data, folds, splitSeed);
        if (fold < 0 || fold >= all.Count) throw new ArgumentOutOfRangeException(nameof(fold), fold, $"fold must be in [0, {all.Count - 1}]");
        return all[fold].Test.Questions;
    }

    /// <summary>This reader's held-out questions in <paramref name="data"/>; refuses data whose split differs from the one
    /// it was trained on (other articles, a different number of them, or, where the file keeps them, other titles).</summary>
    public IReadOnlyList<SquadQuestion> HeldOutQuestions(SquadDataset data)
    {
        var test = SquadSplits.KFoldByArticle(data, Folds, SplitSeed)[Fold].Test;
        var articles = test.Articles.OrderBy(a => a.Index).ToList();
        if (!articles.Select(a => a.Index).SequenceEqual(HeldOutArticles.Order()))
            throw new InvalidDataException($"{FileName}: fold {Fold} of {data.Source} is not the split this reader was trained with (held-out articles differ)");
        if (HeldOutTitles is not null && !articles.Select(a => a.Title).SequenceEqual(HeldOutTitles))
            throw new InvalidDataException($"{FileName}: fold {Fold} of {data.Source} holds other articles than this reader's held-out ones " +
                $"(titles differ: '{articles.Select(a => a.Title).Except(HeldOutTitles).FirstOrDefault()}' was not held out): the reader may have trained on them");
        return test.Questions;
    }
}
