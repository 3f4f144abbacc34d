using CourseKit.Models;
using CourseKit.Native;
using TorchSharp;
using static TorchSharp.torch;
using static CourseKit.Tests.Models.ModelTestData;

namespace CourseKit.Tests.Models;

[Collection(TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public class StateDictLoadTests
{
    public StateDictLoadTests() => TorchRuntime.Initialize();

    [Fact]
    public void Loading_a_models_own_weights_is_complete_and_exact()
    {
        torch.manual_seed(10);
        using var source = new BertModel(TinyBert());
        torch.manual_seed(11);
        using var target = new BertModel(TinyBert());
        var report = target.Load(source.StateDictForSave());
        Assert.True(report.IsComplete);
        Assert.Empty(report.Unexpected);
        Assert.Equal(source.state_dict().Count, report.Loaded.Count);
        foreach (var (name, p) in source.state_dict())
            Assert.True(p.SameAs(target.state_dict()[name]).item<bool>(), name);
    }

    [Fact]
    public void Base_checkpoint_into_head_reports_the_new_head_as_missing()
    {
        var config = TinyBert();
        config.NumLabels = 3;
        using var encoder = new BertModel(config);
        var weights = new Dictionary<string, Tensor>(encoder.state_dict())
        {
            ["embeddings.position_ids"] = arange(config.MaxPositionEmbeddings).unsqueeze(0),   // old HF buffer
            ["cls.seq_relationship.weight"] = zeros(2, config.HiddenSize),                      // NSP head: not ours
        };
        using var classifier = new BertForSequenceClassification(config);
        var report = classifier.Load(weights);
        Assert.Equal(["classifier.bias", "classifier.weight"], report.Missing.Order());
        Assert.Equal(["cls.seq_relationship.weight"], report.Unexpected);
        Assert.Equal(["embeddings.position_ids"], report.Ignored);
        Assert.True(encoder.embeddings.word_embeddings.weight!.SameAs(classifier.bert.embeddings.word_embeddings.weight!).item<bool>());
    }

    [Fact]
    public void Head_checkpoint_into_base_model_strips_the_prefix()
    {
        using var mlm = new BertForMaskedLM(TinyBert());
        using var encoder = new BertModel(TinyBert(), addPoolingLayer: false);
        var weights = new Dictionary<string, Tensor>(mlm.StateDictForSave())
        {
            ["bert.embeddings.position_ids"] = arange(20).unsqueeze(0),
        };
        var report = encoder.Load(weights);
        Assert.True(report.IsComplete);
        Assert.Equal(["bert.embeddings.position_ids"], report.Ignored);
        Assert.All(report.Unexpected, k => Assert.StartsWith("cls.", k));
        Assert.Equal(5, report.Unexpected.Count);
    }

    [Fact]
    public void Tied_decoder_weight_is_not_missing_and_is_read_as_an_alias()
    {
        var config = TinyBert();
        torch.manual_seed(12);
        using var source = new BertForMaskedLM(config);
        // A checkpoint that stores the tied matrix only under the decoder name, plus the decoder bias alias.
        var weights = source.StateDictForSave()
            .Where(kv => kv.Key != "bert.embeddings.word_embeddings.weight")
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        weights["cls.predictions.decoder.weight"] = source.bert.embeddings.word_embeddings.weight!;
        weights["cls.predictions.decoder.bias"] = source.cls.predictions.bias;
        torch.manual_seed(13);
        using var target = new BertForMaskedLM(config);
        var report = target.Load(weights);
        Assert.Empty(report.Missing);
        Assert.Empty(report.Unexpected);
        Assert.Equal(["cls.predictions.decoder.bias"], report.Ignored);
        Assert.True(target.cls.predictions.DecoderWeight.SameAs(source.bert.embeddings.word_embeddings.weight!).item<bool>());
        Assert.DoesNotContain("cls.predictions.decoder.weight", target.StateDictForSave().Keys);
    }

    [Fact]
    public void Legacy_gamma_beta_names_are_renamed()
    {
        using var source = new BertModel(TinyBert());
        var weights = source.state_dict().ToDictionary(
            kv => kv.Key.Replace("LayerNorm.weight", "LayerNorm.gamma").Replace("LayerNorm.bias", "LayerNorm.beta"), kv => kv.Value);
        using var target = new BertModel(TinyBert());
        Assert.True(target.Load(weights).IsComplete);
    }

    [Fact]
    public void Shape_mismatch_names_the_tensor_and_both_shapes_and_copies_nothing()
    {
        var small = TinyBert();
        var other = TinyBert();
        other.VocabSize = 60;
        torch.manual_seed(14);
        using var source = new BertModel(other);
        torch.manual_seed(15);
        using var target = new BertModel(small);
        var before = target.embeddings.position_embeddings.weight!.clone();
        var e = Assert.Throws<StateDictShapeException>(() => target.Load(source.state_dict()));
        Assert.Equal("embeddings.word_embeddings.weight", e.Key);
        Assert.Contains("[50, 16]", e.Message);
        Assert.Contains("[60, 16]", e.Message);
        Assert.True(before.SameAs(target.embeddings.position_embeddings.weight!).item<bool>());   // validated before copying

        var report = target.Load(source.state_dict(), ignoreMismatchedSizes: true);
        Assert.Equal("embeddings.word_embeddings.weight", Assert.Single(report.Mismatched).Key);
        Assert.False(report.IsComplete);
    }
}
