using CourseKit.Models;
using CourseKit.Tasks.Distillation;
using CourseKit.Tasks.SequenceClassification;
using CourseKit.Tests.Tasks.SequenceClassification;
using CourseKit.Training;
using TorchSharp;

namespace CourseKit.Tests.Tasks.Distillation;

[KeepTensorsAlive]
public class DistillationTrainingTests(TinyTeacherFixture tiny) : IClassFixture<TinyTeacherFixture>
{
    static DistillationOptions Options => new()
    {
        Epochs = 6, BatchSize = 32, LearningRate = 1e-3, EarlyStoppingPatience = 0, MaxLength = 32, Seed = 3,
        Losses = DistillationLoss.Soft | DistillationLoss.Hidden | DistillationLoss.Attention | DistillationLoss.Cosine,
    };

    /// <summary>A narrower student (hidden 16, 2 heads, 2 layers) than the teacher, so every loss runs, the hidden and
    /// pooled ones through their learned projections and the attention one across different head counts.</summary>
    Student NarrowStudent()
    {
        torch.manual_seed(4);
        var config = SmallBert.Config(tiny.Tokenizer.VocabularySize, layers: 2, hidden: 16, heads: 2, intermediate: 32, maxPositions: 64, padTokenId: tiny.Tokenizer.PadId)
            .WithLabels(["negative", "positive"]);
        return new Student(new StudentSpec("narrow", 2, StudentInit.Random), new BertForSequenceClassification(config), tiny.Tokenizer,
            new Dictionary<string, string>(), []);
    }

    [Fact]
    public void The_kit_student_with_token_losses_is_refused_before_any_training() =>
        Assert.Contains("own vocabulary", Assert.Throws<ArgumentException>(() =>
            (Options with { Students = ["2L", "kit"], Losses = DistillationLoss.Soft | DistillationLoss.Hidden }).Validate()).Message);

    [Fact]
    public void Every_loss_together_falls_on_a_tiny_task()
    {
        var data = SyntheticSentiment.Data(train: 128, validation: 32, test: 32);
        var o = Options;
        var student = NarrowStudent();
        var train = DistillationData.Build(tiny.Teacher, tiny.Tokenizer, student.Tokenizer, data.Train, [], o.MaxLength);
        var validation = DistillationExperiment.Encode(student.Tokenizer, data.Validation, o.MaxLength);
        var trained = DistillationTraining.Train("narrow all", student, tiny.AsTeacher(), o.Losses, train, validation, validation, o, tiny.NewDir("train"));

        var losses = trained.History.Where(h => h.Kind == LogEntry.Train).Select(h => h.Values["loss"]).ToArray();
        Assert.True(losses.Length >= 10, $"expected a logged loss per step, got {losses.Length}");
        double first = losses.Take(5).Average(), last = losses.TakeLast(5).Average();
        Assert.True(last < 0.8 * first, $"the loss did not fall: first steps {first:F4}, last steps {last:F4}");
    }

    [Fact]
    public void The_teacher_reads_a_sentence_once_across_students_when_given_a_cache()
    {
        var data = SyntheticSentiment.Data(train: 16, validation: 4, test: 4);
        var cache = new Dictionary<string, float[]>(StringComparer.Ordinal);
        string[] transfer = ["an unlabelled sentence", "another unlabelled sentence"];
        var first = DistillationData.Build(tiny.Teacher, tiny.Tokenizer, tiny.Tokenizer, data.Train, transfer, Options.MaxLength, cache);
        Assert.Equal(data.Train.Select(e => e.Text).Concat(transfer).Distinct().Count(), cache.Count);
        var uncached = DistillationData.Build(tiny.Teacher, tiny.Tokenizer, tiny.Tokenizer, data.Train, transfer, Options.MaxLength);
        Assert.Equal(uncached.Select(e => e.TeacherLogits), first.Select(e => e.TeacherLogits));

        // A marked entry comes back as it is: the second student's data was read from the cache, not from the teacher.
        cache[transfer[1]] = [42f, -42f];
        var second = DistillationData.Build(tiny.Teacher, tiny.Tokenizer, tiny.Tokenizer, data.Train, transfer, Options.MaxLength, cache);
        Assert.Equal([42f, -42f], second[^1].TeacherLogits);
        Assert.Equal(0, second[^1].Student.Label);
    }

    [Fact]
    public void The_token_losses_refuse_a_student_with_its_own_vocabulary()
    {
        var other = CourseKit.Text.BertTextTokenizer.Cased(TestPaths.InRepo("datasets", "bert-vocab", "bert-base-cased-vocab.txt"));
        var student = NarrowStudent() with { Tokenizer = other };
        var e = Assert.Throws<ArgumentException>(() => DistillationTraining.Train("x", student, tiny.AsTeacher(), DistillationLoss.Hidden,
            [], [], [], Options, tiny.NewDir("refuse")));
        Assert.Contains("own vocabulary", e.Message);
    }

    [Fact]
    public void A_saved_student_reloads_as_an_ordinary_Hugging_Face_BERT_folder()
    {
        var student = StudentFactory.Create("2L", tiny.Teacher, tiny.Tokenizer, seed: 1);
        var distilled = new DistilledStudent("2L soft", student, DistillationLoss.Soft, 0, 0, null!, null!, 0, 0, []);
        var dir = DistillationExperiment.SaveStudent(distilled, Path.Combine(tiny.NewDir("save"), "2L-soft"), 32);

        var encoder = Pretrained.Load(dir, BertConfig.Load, c => new BertModel(c));
        Assert.Empty(encoder.Report.Missing);
        Assert.Equal(2, encoder.Model.Config.NumHiddenLayers);
        var classifier = BertForSequenceClassification.FromPretrained(dir);
        var texts = new[] { "a wonderful film", "dreadful and boring" };
        var expected = DistillationExperiment.Predict(student.Model, student.Tokenizer, texts);
        var reloaded = DistillationExperiment.Predict(classifier, Pretrained.LoadTokenizer(dir), texts);
        for (int i = 0; i < texts.Length; i++) Assert.Equal(expected[i], reloaded[i]);
    }
}
