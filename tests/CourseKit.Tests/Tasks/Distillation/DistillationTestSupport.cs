using CourseKit.Models;
using CourseKit.Native;
using CourseKit.Tasks.Distillation;
using CourseKit.Text;
using TorchSharp;

namespace CourseKit.Tests.Tasks.Distillation;

/// <summary>A tiny random 6-layer "teacher" classifier with the real cased vocabulary (the tests check mechanics, not skill).</summary>
public sealed class TinyTeacherFixture : IDisposable
{
    public TinyTeacherFixture()
    {
        TorchRuntime.Initialize();
        Tokenizer = BertTextTokenizer.Cased(TestPaths.InRepo("datasets", "bert-vocab", "bert-base-cased-vocab.txt"));
        Root = TestPaths.NewTempDir("coursekit-distill");
        torch.manual_seed(5);
        var config = SmallBert.Config(Tokenizer.VocabularySize, layers: 6, hidden: 32, heads: 4, intermediate: 64, maxPositions: 64, padTokenId: Tokenizer.PadId)
            .WithLabels(["negative", "positive"]);
        Teacher = new BertForSequenceClassification(config);
        Teacher.eval();
    }

    public BertTextTokenizer Tokenizer { get; }
    public BertForSequenceClassification Teacher { get; }
    public string Root { get; }

    public DistillationTeacher AsTeacher() => new(Teacher, Tokenizer, ["negative", "positive"]);

    public string NewDir(string name)
    {
        var dir = Path.Combine(Root, $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    public void Dispose()
    {
        Teacher.Dispose();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
