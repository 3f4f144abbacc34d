using CourseKit.Models;
using CourseKit.Native;
using CourseKit.Tasks.SequenceClassification;
using CourseKit.Tasks.TokenClassification;
using CourseKit.Text;
using TorchSharp;

namespace CourseKit.Tests.Models;

/// <summary>The one small-BERT factory writes, for the same seed, the very bytes the three hand-built ways did before
/// (pretraining's config, NerRandomBert, SequenceClassificationModels): figures made from these folders do not move.</summary>
[Collection(TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public class SmallBertTests : IDisposable
{
    readonly string _dir = TestPaths.NewTempDir("coursekit-small-bert");
    readonly BertTextTokenizer _tokenizer;

    public SmallBertTests()
    {
        TorchRuntime.Initialize();
        _tokenizer = BertTextTokenizer.Cased(TestPaths.InRepo("datasets", "bert-vocab", "bert-base-cased-vocab.txt"));
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void Default_config_is_the_kits_small_cased_bert()
    {
        var c = SmallBert.Config();
        Assert.Equal((28_996, 4, 256, 4, 1024, 512, 0), (c.VocabSize, c.NumHiddenLayers, c.HiddenSize, c.NumAttentionHeads, c.IntermediateSize, c.MaxPositionEmbeddings, c.PadTokenId));
        Assert.Equal(_tokenizer.VocabularySize, c.VocabSize);
    }

    [Fact]
    public void Ner_random_bert_equals_the_former_hand_built_folder()
    {
        // Before: manual_seed(seed); new BertForMaskedLM(new BertConfig { vocab 28,996, shape ... }); SavePretrained(dir, tokenizer).
        var expected = HandBuilt("ner-before", new BertConfig
        {
            VocabSize = 28_996, HiddenSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 64, MaxPositionEmbeddings = 128,
        }, seed: 7, modelMaxLength: null);
        var actual = NerRandomBert.Write(Path.Combine(_dir, "ner-now"), SmallBert.Config(layers: 1, hidden: 32, heads: 2, intermediate: 64, maxPositions: 128),
            seed: 7, vocabPath: _tokenizer.VocabPath);
        AssertSameFolder(expected, actual);
    }

    [Fact]
    public void Sequence_classification_random_bert_equals_the_former_hand_built_folder()
    {
        var expected = HandBuilt("cls-before", new BertConfig
        {
            VocabSize = _tokenizer.VocabularySize, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 64,
            MaxPositionEmbeddings = 64, PadTokenId = _tokenizer.PadId,
        }, seed: 3, modelMaxLength: 64);
        var actual = Path.Combine(_dir, "cls-now");
        SequenceClassificationModels.CreateRandomBert(actual, _tokenizer, hiddenSize: 32, layers: 2, heads: 2, intermediateSize: 64, maxPositions: 64, seed: 3);
        AssertSameFolder(expected, actual);
    }

    [Fact]
    public void A_vocabulary_of_another_size_is_refused()
    {
        var ex = Assert.Throws<ArgumentException>(() => SmallBert.WriteRandom(Path.Combine(_dir, "bad"), _tokenizer, SmallBert.Config(vocabSize: 100, layers: 1, hidden: 32, heads: 2, intermediate: 64)));
        Assert.Contains("vocab_size is 100", ex.Message);
    }

    string HandBuilt(string name, BertConfig config, int seed, int? modelMaxLength)
    {
        var dir = Path.Combine(_dir, name);
        torch.manual_seed(seed);
        using var model = new BertForMaskedLM(config);
        model.SavePretrained(dir, _tokenizer, modelMaxLength);
        return dir;
    }

    static void AssertSameFolder(string expected, string actual)
    {
        foreach (var file in new[] { "config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json" })
            Assert.True(File.ReadAllBytes(Path.Combine(expected, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(actual, file))), $"{file} differs");
    }
}
