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
public sealed record ReaderFold(int Fold, int Folds, int SplitSeed, IReadOnlyList<int> HeldOutArticles)
{
    public const string FileName = "qa_fold.json";

    public static ReaderFold Of(SquadFold fold, int folds, int splitSeed) =>
        new(fold.Index, folds, splitSeed, fold.Test.Articles.Select(a => a.Index).ToList());

    public void Save(string modelDir) => AtomicFile.WriteAllText(Path.Combine(modelDir, FileName), new JsonObject
    {
        ["fold"] = Fold, ["folds"] = Folds, ["split_seed"] = SplitSeed,
        ["held_out_articles"] = new JsonArray(HeldOutArticles.Select(a => (JsonNode)a).ToArray()),
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
            return new ReaderFold(Field("fold"), Field("folds"), Field("split_seed"), articles);
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
    /// it was trained on (other articles, or a different number of them).</summary>
    public IReadOnlyList<SquadQuestion> HeldOutQuestions(SquadDataset data)
    {
        var test = SquadSplits.KFoldByArticle(data, Folds, SplitSeed)[Fold].Test;
        if (!test.Articles.Select(a => a.Index).Order().SequenceEqual(HeldOutArticles.Order()))
            throw new InvalidDataException($"{FileName}: fold {Fold} of {data.Source} is not the split this reader was trained with (held-out articles differ)");
        return test.Questions;
    }
}
