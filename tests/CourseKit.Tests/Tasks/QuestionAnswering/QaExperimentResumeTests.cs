using System.Text.Json.Nodes;
using CourseKit.Data;
using CourseKit.Native;
using CourseKit.Tasks.QuestionAnswering;
using CourseKit.Tasks.SequenceClassification;
using CourseKit.Text;
using CourseKit.Training;

namespace CourseKit.Tests.Tasks.QuestionAnswering;

/// <summary><c>qa train</c>'s experiment keeps each finished reader in runs/: a rerun resumes, two processes given
/// different folds share one folder, and a changed recipe retrains. A random tiny BERT on a few XQuAD questions: the
/// mechanics, not the scores.</summary>
[KeepTensorsAlive]
public sealed class QaExperimentResumeTests : IDisposable
{
    readonly string _root = TestPaths.NewTempDir("coursekit-qa-resume");
    readonly string _model;

    public QaExperimentResumeTests()
    {
        TorchRuntime.Initialize();
        _model = Path.Combine(_root, "tiny-bert");
        var tokenizer = BertTextTokenizer.Uncased(TestPaths.InRepo("datasets", "bert-vocab", "bert-base-uncased-vocab.txt"));
        SequenceClassificationModels.CreateRandomBert(_model, tokenizer, hiddenSize: 32, layers: 1, heads: 2, intermediateSize: 64, maxPositions: 96, seed: 1);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    static QuestionAnsweringOptions Options(params int[] folds) => new()
    {
        FoldIndices = folds, TrainQuestions = 6, TestQuestions = 5, LearningCurve = [3], MaxLength = 96, Stride = 32,
        BatchSize = 4, Epochs = 1, MinSteps = 2, EvalBatchSize = 8,
    };

    [Fact]
    public void Folds_run_apart_are_gathered_and_a_finished_fold_is_read_not_retrained()
    {
        var data = QaTestSupport.XquadEn;
        var outDir = Path.Combine(_root, "run");
        var first = QaExperiment.Run(_model, data, Options(0), outDir);
        Assert.Equal(["fold 0"], first.Folds.Select(f => f.Name));
        Assert.Equal(["3 questions", "6 questions"], first.LearningCurve.Select(r => r.Name));   // the curve point and the fold itself
        Assert.True(File.Exists(Path.Combine(outDir, "model", ReaderFold.FileName)), "fold 0 saves the reader");
        foreach (var name in new[] { "fold-0", "fold-0-sentence-baseline", "curve-3" })
            Assert.True(File.Exists(Path.Combine(outDir, QaRunStore.FolderName, name + ".json")), name);

        // Mark fold 0's stored score: if the second run retrained fold 0 the mark would be gone.
        var fold0 = Path.Combine(outDir, QaRunStore.FolderName, "fold-0.json");
        var json = JsonNode.Parse(File.ReadAllText(fold0))!;
        json["exact_match"] = 77.5;
        File.WriteAllText(fold0, json.ToJsonString());

        var second = QaExperiment.Run(_model, data, Options(2), outDir);   // another process's folds, same folder
        Assert.Equal(["fold 0", "fold 2"], second.Folds.Select(f => f.Name));
        Assert.Equal(77.5, second.Folds[0].ExactMatch);
        Assert.Equal((77.5 + second.Folds[1].ExactMatch) / 2, second.ExactMatch.Mean, 9);
        Assert.Equal(2, second.SentenceBaseline.Count);
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "metrics.json")))!;
        Assert.Equal(2, metrics["folds"]!.AsArray().Count);

        // With every run stored, the sentence encoder is never loaded: a folder that does not exist is not touched.
        var stored = QaExperiment.Run(_model, data, Options(0, 2), outDir, retrieverDir: Path.Combine(_root, "no-such-encoder"));
        Assert.Equal(2, stored.Folds.Count);

        // Another training seed is another recipe: the stored folds are not mixed in.
        var reseeded = QaExperiment.Run(_model, data, Options(2) with { Seed = 7 }, outDir);
        Assert.Equal(["fold 2"], reseeded.Folds.Select(f => f.Name));
    }

    [Fact]
    public void Bad_fold_selection_and_a_broken_run_file_are_named()
    {
        Assert.Contains("fold 5 does not exist", Assert.Throws<ArgumentException>(() => Options(1, 5).SelectedFolds()).Message);
        Assert.Contains("no fold", Assert.Throws<ArgumentException>(() => Options().SelectedFolds()).Message);

        var outDir = Path.Combine(_root, "broken");
        var store = new QaRunStore(outDir, _model, Options(0), QaTestSupport.XquadEn);
        Directory.CreateDirectory(Path.GetDirectoryName(store.PathOf("fold-0"))!);
        File.WriteAllText(store.PathOf("fold-0"), "{ not json");
        var e = Assert.Throws<InvalidDataException>(() => store.TryLoad("fold-0"));
        Assert.Contains(store.PathOf("fold-0"), e.Message);

        store.Save("fold-1", new QaRun("fold 1", 6, 6, 5, 20, 30, 2, 1.5, []));
        var saved = JsonNode.Parse(File.ReadAllText(store.PathOf("fold-1")))!.AsObject();
        saved.Remove("f1");
        File.WriteAllText(store.PathOf("fold-1"), saved.ToJsonString());
        Assert.Contains("missing field 'f1'", Assert.Throws<InvalidDataException>(() => store.TryLoad("fold-1")).Message);
    }

    [Fact]
    public void Bf16_trains_a_reader_saved_in_fp32_and_is_part_of_the_recipe()
    {
        var outDir = Path.Combine(_root, "precision");
        var bf16 = Options(0) with { Precision = Precision.Bf16, LearningCurve = [] };
        var run = QaExperiment.Run(_model, QaTestSupport.XquadEn, bf16, outDir).Folds.Single();
        Assert.True(double.IsFinite(run.F1) && run.Steps >= 2, $"F1 {run.F1}, {run.Steps} steps");
        using (var reader = CourseKit.Models.BertForQuestionAnswering.FromPretrained(Path.Combine(outDir, "model")))
            Assert.All(reader.parameters(), p => Assert.Equal(TorchSharp.torch.ScalarType.Float32, p.dtype));
        Assert.NotNull(new QaRunStore(outDir, _model, bf16, QaTestSupport.XquadEn).TryLoad("fold-0"));
        Assert.Null(new QaRunStore(outDir, _model, bf16 with { Precision = Precision.Fp32 }, QaTestSupport.XquadEn).TryLoad("fold-0"));
    }

    [Fact]
    public void Scoring_each_epoch_leaves_the_reader_unchanged_and_is_stored_with_the_retrieved_score()
    {
        var data = QaTestSupport.XquadEn;
        var options = Options(0) with { LearningCurve = [], Epochs = 3, MinSteps = 1 };
        var plainDir = Path.Combine(_root, "plain");
        var curvedDir = Path.Combine(_root, "curved");
        var plain = QaExperiment.Run(_model, data, options with { RetrieveTopK = 0 }, plainDir).Folds.Single();
        var curved = QaExperiment.Run(_model, data, options with { EvalEachEpoch = true, RetrieveTopK = 2 }, curvedDir);
        var fold = curved.Folds.Single();

        Assert.Empty(plain.ByEpoch);
        Assert.Null(plain.RetrieveThenRead);
        Assert.Equal([1.0, 2.0, 3.0], fold.ByEpoch.Select(e => e.Epoch));
        Assert.Equal(fold.F1, fold.ByEpoch[^1].F1, 9);                     // the last epoch's score is the reader's
        // Evaluating in between draws no random numbers and changes no weight: the saved readers are the same bytes.
        foreach (var file in Directory.GetFiles(Path.Combine(plainDir, "model"), "*.safetensors"))
            Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(Path.Combine(curvedDir, "model", Path.GetFileName(file))));

        Assert.Equal(2, fold.RetrieveThenRead!.TopK);
        var curvedOptions = options with { EvalEachEpoch = true, RetrieveTopK = 2 };
        var stored = new QaRunStore(curvedDir, _model, curvedOptions, data).TryLoad(QaExperiment.FoldName(0))!;
        // A run is reused only for the same data and the same run contents: another file, no curve or another k is another recipe.
        var otherData = new SquadDataset("other.json", data.Articles);
        Assert.Null(new QaRunStore(curvedDir, _model, curvedOptions, otherData).TryLoad(QaExperiment.FoldName(0)));
        Assert.Null(new QaRunStore(curvedDir, _model, options with { RetrieveTopK = 2 }, data).TryLoad(QaExperiment.FoldName(0)));
        Assert.Null(new QaRunStore(curvedDir, _model, curvedOptions with { RetrieveTopK = 3 }, data).TryLoad(QaExperiment.FoldName(0)));
        Assert.Equal(fold.ByEpoch, stored.ByEpoch);
        Assert.Equal(fold.RetrieveThenRead, stored.RetrieveThenRead);
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(curvedDir, "metrics.json")))!;
        Assert.Equal(1, metrics["retrieve_then_read"]!["folds"]!.GetValue<int>());
        Assert.Equal(3, metrics["folds"]![0]!["by_epoch"]!.AsArray().Count);
    }

    [Fact]
    public void Retrieve_then_read_answers_as_the_gold_paragraph_does_when_that_paragraph_is_retrieved_first()
    {
        var data = QaTestSupport.XquadEn;
        var options = Options(0) with { EvalBatchSize = 8 };
        var questions = data.Questions.Take(12).ToArray();
        using var reader = CourseKit.Models.BertForQuestionAnswering.FromPretrained(_model);
        using var encoder = CourseKit.Models.SentenceEncoder.Load(_model, maxLength: 96);
        var tokenizer = CourseKit.Models.Pretrained.LoadTokenizer(_model);
        var retrieved = QaEvaluation.RetrieveThenRead(reader, tokenizer, encoder, data, questions, options, topK: 1);
        var (_, oracle) = QuestionAnsweringTask.Evaluate(reader, tokenizer, data, questions, options);
        var rankings = ParagraphRetrieval.FuseByReciprocalRank(
            [ParagraphRetrieval.RankByEncoder(encoder, data, questions, data.Paragraphs.Count), ParagraphRetrieval.RankByBm25(data, questions, data.Paragraphs.Count)], 10);
        var firstIsGold = Enumerable.Range(0, questions.Length).Where(i => data.Paragraphs[rankings[i][0]].Index == questions[i].ParagraphIndex).ToArray();
        Assert.NotEmpty(firstIsGold);
        Assert.NotEqual(questions.Length, firstIsGold.Length);              // some retrieve another paragraph: the case differs there
        foreach (var i in firstIsGold)
            Assert.Equal(oracle[questions[i].Id].Text, retrieved.Answers[questions[i].Id]);
        Assert.Equal(questions.Length, retrieved.Answers.Count);
    }
}
