using CourseKit.Data;
using CourseKit.Models;
using CourseKit.Native;
using CourseKit.Tests.Data;
using CourseKit.Text;
using CourseKit.Tasks.TokenClassification;

namespace CourseKit.Tests.Tasks.TokenClassification;

/// <summary>CoNLL-2003 in a temp cache (from the shared mirror) and a tiny random BERT folder with the real cased
/// vocabulary, shared by a test class.</summary>
public sealed class NerFixture : IDisposable
{
    readonly SharedDataFixture _data = new();
    readonly Lazy<string> _model;
    readonly Dictionary<string, IReadOnlyList<ConllSentence>> _splits = new();

    public NerFixture()
    {
        TorchRuntime.Initialize();
        _model = new(() => NerRandomBert.Write(Path.Combine(TestPaths.NewTempDir("coursekit-ner-model"), "tiny-bert"), TinyConfig(), seed: 7,
            vocabPath: VocabPath));
    }

    public static string VocabPath => TestPaths.InRepo("datasets", "bert-vocab", "bert-base-cased-vocab.txt");

    /// <summary>1 layer, hidden 32: seconds per run, and still a real BERT.</summary>
    public static BertConfig TinyConfig(int layers = 1, int hidden = 32) => SmallBert.Config(layers: layers, hidden: hidden, heads: 2, intermediate: hidden * 2, maxPositions: 128);

    public DataRegistry Registry => _data.With(Conll2003.DatasetName);
    public string ModelDir => _model.Value;
    public BertTextTokenizer Tokenizer => Pretrained.LoadTokenizer(ModelDir);

    public IReadOnlyList<ConllSentence> Split(string name)
    {
        lock (_splits)
        {
            if (!_splits.TryGetValue(name, out var s)) _splits[name] = s = Conll2003.Load(name, registry: Registry);
            return s;
        }
    }

    public void Dispose()
    {
        _data.Dispose();
        if (_model.IsValueCreated)
            try { Directory.Delete(Path.GetDirectoryName(_model.Value)!, recursive: true); } catch (IOException) { }
    }
}

public static class Iob2Check
{
    /// <summary>True when every I-X follows B-X or I-X (IOB2), checked from the tag strings alone.</summary>
    public static bool IsValid(IReadOnlyList<string> tags)
    {
        for (int i = 0; i < tags.Count; i++)
            if (tags[i].StartsWith("I-", StringComparison.Ordinal) && (i == 0 || tags[i - 1] == "O" || tags[i - 1][2..] != tags[i][2..]))
                return false;
        return true;
    }
}
