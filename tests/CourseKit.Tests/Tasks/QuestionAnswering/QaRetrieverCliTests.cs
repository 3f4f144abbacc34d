using System.CommandLine;
using System.Text.Json.Nodes;
using CourseKit.Cli.Verbs;
using CourseKit.Tasks.QuestionAnswering;
using CourseKit.Data;
using CourseKit.Models;

namespace CourseKit.Tests.Tasks.QuestionAnswering;

[KeepTensorsAlive]
public class QaRetrieverCliTests : IDisposable
{
    readonly string _dir = TestPaths.NewTempDir("coursekit-qa-retriever");
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The first <paramref name="articles"/> articles of XQuAD-en as a SQuAD file of its own.</summary>
    string SmallSquadFile(int articles)
    {
        var json = JsonNode.Parse(File.ReadAllText(TestPaths.InRepo("datasets", "xquad", "xquad.en.json")))!.AsObject();
        var data = json["data"]!.AsArray();
        json["data"] = new JsonArray(data.Take(articles).Select(a => a!.DeepClone()).ToArray());
        var path = Path.Combine(_dir, "small.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = QaVerb.Create().Parse(["retriever", .. args]).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void Quick_run_cross_validates_keeps_the_finished_fold_and_saves_a_retriever_that_loads()
    {
        _ = QaTestSupport.MiniLmFolder;
        var data = SmallSquadFile(5);
        var outDir = Path.Combine(_dir, "out");
        var (code, text, error) = Run("--profile", "quick", "--data", data, "--out", outDir, "--threads", "1", "--save-model");
        Assert.True(code == 0, error);
        Assert.Contains("encoder, fine-tuned", text);
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "metrics.json")))!;
        Assert.Single(metrics["folds"]!.AsArray());
        var tuned = metrics["pooled"]!["tuned"]!["1"]!.GetValue<double>();
        Assert.InRange(tuned, 0.0, 1.0);
        var fold = Path.Combine(outDir, "runs", "retriever-fold-0.json");
        var written = File.GetLastWriteTimeUtc(fold);
        using (var saved = SentenceEncoder.Load(Path.Combine(outDir, "model")))
            Assert.Equal((SentencePooling.Mean, 256), (saved.Pooling, saved.MaxLength));
        // It trained on every question of this file: qa eval is told so for this file, not for another.
        var trainedOn = SquadReader.Load(data);
        Assert.True(RetrieverCrossValidation.WasTrainedOn(Path.Combine(outDir, "model"), trainedOn));
        Assert.False(RetrieverCrossValidation.WasTrainedOn(Path.Combine(outDir, "model"), new SquadDataset(Path.Combine(_dir, "elsewhere.json"), trainedOn.Articles)));

        // A rerun with the same settings reads the fold back instead of training it again.
        var (again, text2, error2) = Run("--profile", "quick", "--data", data, "--out", outDir, "--threads", "1");
        Assert.True(again == 0, error2);
        Assert.Contains($"kept from {fold}: fold 0", text2);
        Assert.Contains($"@1 {tuned:F3}", text2);
        Assert.Equal(written, File.GetLastWriteTimeUtc(fold));
        var record = JsonNode.Parse(File.ReadAllText(fold))!;
        Assert.Equal(tuned, record["result"]!["Tuned"]!["RecallAt"]!["1"]!.GetValue<double>());
    }

    [Fact]
    public void A_nested_run_reports_recall_after_every_epoch_and_never_ranks_the_outer_test_articles()
    {
        _ = QaTestSupport.MiniLmFolder;
        var file = SmallSquadFile(7);
        var outDir = Path.Combine(_dir, "nested");
        var (code, text, error) = Run("--profile", "quick", "--data", file, "--nested-in", "0", "--eval-each-epoch", "--epochs", "2",
            "--out", outDir, "--threads", "1");
        Assert.True(code == 0, error);
        var outerTrain = SquadSplits.TrainingArticlesOf(SquadReader.Load(file), 0, 5);
        Assert.Contains($"validation inside outer fold 0: {outerTrain.Articles.Count} training articles", text);
        Assert.Contains("after epoch 2", text);
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "metrics.json")))!;
        var byEpoch = metrics["pooled_by_epoch"]!["tuned"]!.AsArray();
        Assert.Equal(2, byEpoch.Count);
        Assert.Equal(metrics["pooled"]!["tuned"]!["1"]!.GetValue<double>(), byEpoch[1]!["1"]!.GetValue<double>());   // the last epoch is the tuned model
        var fold = metrics["folds"]![0]!;
        Assert.Equal(outerTrain.Paragraphs.Count, fold["Tuned"]!["Paragraphs"]!.GetValue<int>());                   // ranked among the outer training paragraphs only

        var (refused, _, why) = Run("--profile", "quick", "--data", file, "--nested-in", "0", "--save-model", "--out", outDir);
        Assert.NotEqual(0, refused);
        Assert.Contains("--nested-in", why);
    }

    [Fact]
    public void Nested_in_an_outer_fold_qa_train_and_retriever_see_its_training_articles_only()
    {
        var data = SquadReader.Load(TestPaths.InRepo("datasets", "xquad", "xquad.en.json"));
        var said = new StringWriter();
        Assert.Same(data, QaVerb.NestedIfAsked(data, null, 5, 42, said));
        Assert.Equal("", said.ToString());
        var nested = QaVerb.NestedIfAsked(data, 0, 5, 42, said);
        var outer = SquadSplits.KFoldByArticle(data, 5, 42)[0];
        Assert.Equal(outer.Train.Questions.Select(q => q.Id), nested.Questions.Select(q => q.Id));
        Assert.Contains($"validation inside outer fold 0: {outer.Train.Articles.Count} training articles, {outer.Train.Questions.Count} questions", said.ToString());
        // The reader's nested split of the README: 958 questions, of which inner fold 1 validates on 187.
        Assert.Equal(958, nested.Questions.Count);
        Assert.Equal(187, SquadSplits.KFoldByArticle(nested, 5, 42)[1].Test.Questions.Count);
        // The outer split is the caller's (qa train passes its options' folds and split seed).
        Assert.NotEqual(nested.Questions.Select(q => q.Id), QaVerb.NestedIfAsked(data, 0, 5, 7, said).Questions.Select(q => q.Id));
        Assert.Equal(SquadSplits.KFoldByArticle(data, 4, 42)[0].Train.Questions.Count, QaVerb.NestedIfAsked(data, 0, 4, 42, said).Questions.Count);
    }
}
