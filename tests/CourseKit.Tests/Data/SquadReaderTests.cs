using CourseKit.Data;

namespace CourseKit.Tests.Data;

[KeepTensorsAlive]
public class SquadReaderTests : IDisposable
{
    readonly Scratch _scratch = new();
    public void Dispose() => _scratch.Dispose();

    static string Xquad(string language) => TestPaths.InRepo("datasets", "xquad", $"xquad.{language}.json");

    [Theory]
    [InlineData("en")]
    [InlineData("zh")]
    public void Reads_xquad_with_every_answer_at_its_start(string language)
    {
        var data = SquadReader.Load(Xquad(language));
        Assert.Equal(48, data.Articles.Count);
        Assert.Equal(240, data.Paragraphs.Count);
        Assert.Equal(1190, data.Questions.Count);
        foreach (var q in data.Questions)
            foreach (var a in q.Answers)
                Assert.Equal(a.Text, data.ParagraphOf(q).Context.Substring(a.Start, a.Text.Length));
        Assert.Equal("56beb4343aeaaa14008c925b", data.Questions[0].Id);
    }

    const string Good = """{"data": [{"title": "t", "paragraphs": [{"context": "Bonn is on the Rhine.", "qas": [{"id": "q-1", "question": "On what river?", "answers": [{"text": "Rhine", "answer_start": 15}]}]}]}]}""";

    [Theory]
    [InlineData("\"answer_start\": 15", "\"answer_start\": 14", "q-1", "not at answer_start 14")]
    [InlineData("\"question\": \"On what river?\", ", "", "q-1", "missing string field \"question\"")]
    [InlineData("\"answer_start\": 15", "\"answer_start\": \"15\"", "q-1", "answer_start")]
    [InlineData("\"id\": \"q-1\", ", "", null, "missing string field \"id\"")]
    [InlineData("}]}]}]}", "}]}]}", null, "not valid JSON")]
    [InlineData("]}]}]}", "]}]}, {\"context\": \"Paris is on the Seine.\", \"qas\": [{\"id\": \"q-1\", \"question\": \"Which river?\", \"answers\": [{\"text\": \"Seine\", \"answer_start\": 16}]}]}]}", "q-1", "used twice (paragraphs 0 and 1)")]
    public void Refuses_malformed_files_naming_file_and_question(string from, string to, string? id, string problem)
    {
        Assert.Contains(from, Good);
        var path = _scratch.WriteFile("bad-squad.json", Good.Replace(from, to));
        var ex = Assert.Throws<SquadFormatException>(() => SquadReader.Load(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains(problem, ex.Message);
        Assert.Equal(id, ex.QuestionId);
        if (id is not null) Assert.Contains($"question {id}", ex.Message);
    }

    [Fact]
    public void Reads_a_good_file()
    {
        var data = SquadReader.Load(_scratch.WriteFile("good.json", Good));
        Assert.Equal(15, data.Questions.Single().Answers.Single().Start);
    }

    [Fact]
    public void Folds_split_by_article_and_cover_every_question_once()
    {
        var data = SquadReader.Load(Xquad("en"));
        var folds = SquadSplits.KFoldByArticle(data, 5, seed: 42);
        Assert.Equal(5, folds.Count);
        var tested = folds.SelectMany(f => f.Test.Questions.Select(q => q.Id)).ToList();
        Assert.Equal(data.Questions.Count, tested.Count);
        Assert.Equal(data.Questions.Count, tested.Distinct().Count());
        foreach (var fold in folds)
        {
            var trainArticles = fold.Train.Articles.Select(a => a.Index).ToHashSet();
            Assert.DoesNotContain(fold.Test.Articles, a => trainArticles.Contains(a.Index));
            Assert.InRange(fold.Test.Articles.Count, 9, 10);
            Assert.Equal(data.Questions.Count, fold.Train.Questions.Count + fold.Test.Questions.Count);
        }
    }

    [Fact]
    public void A_nested_split_holds_only_the_outer_folds_training_articles()
    {
        var data = SquadReader.Load(Xquad("en"));
        var outer = SquadSplits.KFoldByArticle(data, 5, seed: 42)[2];
        var nested = SquadSplits.TrainingArticlesOf(data, 2, 5, seed: 42);
        Assert.Equal(outer.Train.Articles.Select(a => a.Index), nested.Articles.Select(a => a.Index));
        var testQuestions = outer.Test.Questions.Select(q => q.Id).ToHashSet();
        Assert.DoesNotContain(nested.Questions, q => testQuestions.Contains(q.Id));
        // Split once more by article: every inner fold lies inside the outer training articles.
        foreach (var inner in SquadSplits.KFoldByArticle(nested, 5, seed: 42))
            Assert.DoesNotContain(inner.Test.Questions, q => testQuestions.Contains(q.Id));
        Assert.Throws<ArgumentOutOfRangeException>(() => SquadSplits.TrainingArticlesOf(data, 5, 5));
    }
}
