using CourseKit.Native;
using CourseKit.Text;
using CourseKit.Tasks.SequenceClassification;

namespace CourseKit.Tests.Tasks.SequenceClassification;

/// <summary>A tiny random-init BERT folder with the real cased vocabulary, made once per test class.</summary>
public sealed class TinyBertFixture : IDisposable
{
    public TinyBertFixture()
    {
        TorchRuntime.Initialize();
        Tokenizer = BertTextTokenizer.Cased(TestPaths.InRepo("datasets", "bert-vocab", "bert-base-cased-vocab.txt"));
        Root = TestPaths.NewTempDir("coursekit-finetune");
        ModelDir = Path.Combine(Root, "tiny-bert");
        SequenceClassificationModels.CreateRandomBert(ModelDir, Tokenizer, hiddenSize: 32, layers: 2, heads: 2, intermediateSize: 64, maxPositions: 64, seed: 3);
    }

    public BertTextTokenizer Tokenizer { get; }
    public string Root { get; }
    public string ModelDir { get; }

    public string NewDir(string name)
    {
        var dir = Path.Combine(Root, $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

/// <summary>An easy sentiment task: filler words around exactly one clearly positive or negative word.</summary>
static class SyntheticSentiment
{
    static readonly string[] Positive = ["great", "excellent", "wonderful", "superb", "delightful", "brilliant"];
    static readonly string[] Negative = ["terrible", "awful", "horrible", "dreadful", "boring", "poor"];
    static readonly string[] Filler = ["the", "movie", "was", "film", "plot", "acting", "really", "quite", "story", "and", "very"];

    static IReadOnlyList<LabeledText> Make(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(i =>
        {
            int label = i % 2;
            var words = Enumerable.Range(0, rng.Next(2, 5)).Select(_ => Filler[rng.Next(Filler.Length)]).ToList();
            var pool = label == 1 ? Positive : Negative;
            words.Insert(rng.Next(words.Count + 1), pool[rng.Next(pool.Length)]);
            return new LabeledText(i, string.Join(' ', words), label);
        }).ToArray();
    }

    public static ClassificationData Data(int train = 240, int validation = 80, int test = 80) =>
        new("synthetic-sentiment", ["negative", "positive"], Make(train, 1), Make(validation, 2), Make(test, 3));
}
