using CourseKit.Data;
using CourseKit.Tasks.QuestionAnswering;

namespace CourseKit.Tests.Tasks.QuestionAnswering;

[KeepTensorsAlive]
public class ReaderFoldTests
{
    static SquadDataset Data() => Xquad.Load();

    [Fact]
    public void Saved_fold_scores_only_the_articles_the_reader_never_trained_on()
    {
        var data = Data();
        var folds = SquadSplits.KFoldByArticle(data, 5, 42);
        var dir = TestPaths.NewTempDir();
        ReaderFold.Of(folds[0], 5, 42).Save(dir);

        var loaded = ReaderFold.Load(dir)!;
        Assert.Equal((0, 5, 42), (loaded.Fold, loaded.Folds, loaded.SplitSeed));
        var heldOut = loaded.HeldOutQuestions(data);
        var trained = folds[0].Train.Questions.Select(q => q.Id).ToHashSet();
        Assert.NotEmpty(heldOut);
        Assert.DoesNotContain(heldOut, q => trained.Contains(q.Id));
        Assert.Equal(data.Questions.Count, heldOut.Count + trained.Count);
        Assert.Equal(heldOut.Select(q => q.Id), ReaderFold.HeldOutQuestions(data, 0, 5, 42).Select(q => q.Id));
    }

    [Fact]
    public void A_reader_without_a_fold_file_has_none_and_a_broken_one_is_named()
    {
        var dir = TestPaths.NewTempDir();
        Assert.Null(ReaderFold.Load(dir));
        File.WriteAllText(Path.Combine(dir, ReaderFold.FileName), "{\"fold\": 0}");
        var e = Assert.Throws<InvalidDataException>(() => ReaderFold.Load(dir));
        Assert.Contains(ReaderFold.FileName, e.Message);
        Assert.Contains("missing field", e.Message);
    }

    [Fact]
    public void Another_file_with_as_many_articles_is_refused_by_title_and_an_older_fold_file_still_loads()
    {
        var data = Data();
        var dir = TestPaths.NewTempDir();
        ReaderFold.Of(SquadSplits.KFoldByArticle(data, 5, 42)[0], 5, 42).Save(dir);
        var renamed = new SquadDataset("other.json", data.Articles.Select(a => a with { Title = a.Title + " (another edition)" }).ToArray());
        Assert.Contains("titles differ", Assert.Throws<InvalidDataException>(() => ReaderFold.Load(dir)!.HeldOutQuestions(renamed)).Message);

        var older = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, ReaderFold.FileName)))!.AsObject();
        older.Remove("held_out_titles");
        File.WriteAllText(Path.Combine(dir, ReaderFold.FileName), older.ToJsonString());
        var loaded = ReaderFold.Load(dir)!;
        Assert.Null(loaded.HeldOutTitles);
        Assert.NotEmpty(loaded.HeldOutQuestions(data));
    }

    [Fact]
    public void A_split_other_than_the_training_one_is_refused()
    {
        var data = Data();
        var fold = ReaderFold.Of(SquadSplits.KFoldByArticle(data, 5, 42)[1], 5, 42) with { SplitSeed = 7 };
        Assert.Contains("not the split", Assert.Throws<InvalidDataException>(() => fold.HeldOutQuestions(data)).Message);
    }
}
