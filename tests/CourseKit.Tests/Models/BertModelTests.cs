using CourseKit.Models;
using CourseKit.Native;
using TorchSharp;
using static TorchSharp.torch;
using static CourseKit.Tests.Models.ModelTestData;

namespace CourseKit.Tests.Models;

[Collection(TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public class BertModelTests
{
    public BertModelTests() => TorchRuntime.Initialize();

    static readonly string[] LayerZeroNames =
    [
        "encoder.layer.0.attention.self.query.weight", "encoder.layer.0.attention.self.query.bias",
        "encoder.layer.0.attention.self.key.weight", "encoder.layer.0.attention.self.key.bias",
        "encoder.layer.0.attention.self.value.weight", "encoder.layer.0.attention.self.value.bias",
        "encoder.layer.0.attention.output.dense.weight", "encoder.layer.0.attention.output.dense.bias",
        "encoder.layer.0.attention.output.LayerNorm.weight", "encoder.layer.0.attention.output.LayerNorm.bias",
        "encoder.layer.0.intermediate.dense.weight", "encoder.layer.0.intermediate.dense.bias",
        "encoder.layer.0.output.dense.weight", "encoder.layer.0.output.dense.bias",
        "encoder.layer.0.output.LayerNorm.weight", "encoder.layer.0.output.LayerNorm.bias",
    ];

    static readonly string[] EmbeddingNames =
    [
        "embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
        "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias",
    ];

    [Fact]
    public void State_dict_names_are_hugging_faces()
    {
        using var model = new BertModel(TinyBert(layers: 1));
        string[] expected = [.. EmbeddingNames, .. LayerZeroNames, "pooler.dense.weight", "pooler.dense.bias"];
        Assert.Equal(expected.Order(), model.state_dict().Keys.Order());
    }

    [Fact]
    public void Heads_have_hugging_faces_names_and_pooler_only_where_hf_has_one()
    {
        var config = TinyBert(layers: 1);
        var bert = EmbeddingNames.Concat(LayerZeroNames).Select(n => "bert." + n).ToArray();
        string[] pooler = ["bert.pooler.dense.weight", "bert.pooler.dense.bias"];

        using var mlm = new BertForMaskedLM(config);
        Assert.Equal(bert.Concat(["cls.predictions.bias", "cls.predictions.transform.dense.weight", "cls.predictions.transform.dense.bias",
            "cls.predictions.transform.LayerNorm.weight", "cls.predictions.transform.LayerNorm.bias"]).Order(), mlm.state_dict().Keys.Order());

        using var tokens = new BertForTokenClassification(config);
        Assert.Equal(bert.Concat(["classifier.weight", "classifier.bias"]).Order(), tokens.state_dict().Keys.Order());

        using var sequence = new BertForSequenceClassification(config);
        Assert.Equal(bert.Concat(pooler).Concat(["classifier.weight", "classifier.bias"]).Order(), sequence.state_dict().Keys.Order());

        using var qa = new BertForQuestionAnswering(config);
        Assert.Equal(bert.Concat(["qa_outputs.weight", "qa_outputs.bias"]).Order(), qa.state_dict().Keys.Order());
    }

    [Fact]
    public void Parameter_count_matches_the_closed_form()
    {
        var c = TinyBert(layers: 3);
        long V = c.VocabSize, H = c.HiddenSize, P = c.MaxPositionEmbeddings, S = c.TypeVocabSize, I = c.IntermediateSize, L = c.NumHiddenLayers;
        long embeddings = (V + P + S) * H + 2 * H;
        long layer = 4 * (H * H + H) + 2 * H      // Q, K, V, output projection; LayerNorm
                   + (H * I + I) + (I * H + H) + 2 * H;   // feed-forward; LayerNorm
        long pooler = H * H + H;
        using var model = new BertModel(c);
        Assert.Equal(embeddings + L * layer + pooler, ParameterCounts.Total(model));

        // Masked LM: no pooler; transform dense + LayerNorm + vocabulary bias; decoder weight shared, counted once.
        using var mlm = new BertForMaskedLM(c);
        Assert.Equal(embeddings + L * layer + (H * H + H) + 2 * H + V, ParameterCounts.Total(mlm));
    }

    [Fact]
    public void Masked_lm_decoder_is_the_word_embedding_matrix()
    {
        torch.manual_seed(1);
        using var mlm = new BertForMaskedLM(TinyBert());
        mlm.eval();
        var embedding = mlm.bert.embeddings.word_embeddings.weight!;
        using (no_grad()) embedding[3].fill_(0.25);   // written through one name, read through the other
        Assert.Equal(0.25f, mlm.cls.predictions.DecoderWeight[3].min().item<float>());

        using var ids = Ids(new long[,] { { 2, 7, 9, 4 } });
        using var _ = NewDisposeScope();
        var logits = mlm.forward(ids).Logits;
        var h = mlm.cls.predictions.transform.forward(mlm.bert.forward(ids).LastHiddenState);
        var byHand = h.matmul(embedding.t()) + mlm.cls.predictions.bias;
        Assert.True(MaxAbsDiff(logits, byHand) < 1e-5f);

        // Changing the embedding row of token 5 (absent from the input) changes logit 5 only. Not by a constant:
        // LayerNorm outputs sum to ~0, so a constant shift of the row would leave the logit unchanged.
        using (no_grad()) embedding[5].add_(torch.linspace(-1, 1, embedding.shape[1]));
        var after = mlm.forward(ids).Logits;
        var diff = (after - logits).abs().amax([0, 1]);
        Assert.True(diff[5].item<float>() > 1e-3f);
        Assert.True(diff.index_select(0, torch.tensor(new long[] { 0, 1, 2, 3, 4, 6, 7 })).max().item<float>() < 1e-6f);
    }

    [Fact]
    public void Fused_and_explicit_attention_agree()
    {
        torch.manual_seed(2);
        var config = TinyBert();
        using var model = new BertModel(config);
        model.eval();
        using var _ = NewDisposeScope();
        var ids = Ids(new long[,] { { 1, 5, 9, 3, 8, 0 }, { 4, 4, 2, 0, 0, 0 } });
        var mask = Ids(new long[,] { { 1, 1, 1, 1, 1, 1 }, { 1, 1, 1, 0, 0, 0 } });
        var types = Ids(new long[,] { { 0, 0, 0, 1, 1, 1 }, { 0, 0, 1, 0, 0, 0 } });
        config.AttentionImplementation = AttentionImplementation.Eager;
        var eager = model.forward(ids, mask, types);
        config.AttentionImplementation = AttentionImplementation.Sdpa;
        var fused = model.forward(ids, mask, types);
        Assert.True(MaxAbsDiff(eager.LastHiddenState, fused.LastHiddenState) < 1e-5f);
        Assert.True(MaxAbsDiff(eager.PoolerOutput!, fused.PoolerOutput!) < 1e-5f);
    }

    [Fact]
    public void Attention_weights_are_distributions_that_skip_padding()
    {
        torch.manual_seed(3);
        using var model = new BertModel(TinyBert());
        model.eval();
        using var _ = NewDisposeScope();
        var ids = Ids(new long[,] { { 1, 5, 9, 3, 8 }, { 4, 4, 2, 0, 0 } });
        var mask = Ids(new long[,] { { 1, 1, 1, 1, 1 }, { 1, 1, 1, 0, 0 } });
        var output = model.forward(ids, mask, null, outputAttentions: true);
        Assert.Equal(2, output.Attentions!.Count);
        foreach (var a in output.Attentions)
        {
            Assert.Equal(new long[] { 2, 4, 5, 5 }, a.shape);
            Assert.True(MaxAbsDiff(a.sum(-1), ones(2, 4, 5)) < 1e-5f);
            Assert.Equal(0f, a[1, .., .., 3..].abs().max().item<float>());
        }
    }

    [Fact]
    public void Padded_tokens_do_not_change_real_tokens()
    {
        torch.manual_seed(4);
        using var model = new BertModel(TinyBert());
        model.eval();
        using var _ = NewDisposeScope();
        var mask = Ids(new long[,] { { 1, 1, 1, 0, 0 } });
        var a = model.forward(Ids(new long[,] { { 4, 8, 2, 0, 0 } }), mask, null);
        var b = model.forward(Ids(new long[,] { { 4, 8, 2, 17, 33 } }), mask, null);
        Assert.True(MaxAbsDiff(a.LastHiddenState[.., ..3], b.LastHiddenState[.., ..3]) < 1e-5f);
        Assert.True(MaxAbsDiff(a.PoolerOutput!, b.PoolerOutput!) < 1e-5f);
        Assert.True(MaxAbsDiff(a.LastHiddenState[.., 3..], b.LastHiddenState[.., 3..]) > 1e-3f);   // the pads themselves differ
    }

    [Fact]
    public void Init_is_hugging_faces_and_seeded()
    {
        var config = TinyBert();
        torch.manual_seed(5);
        using var a = new BertModel(config);
        torch.manual_seed(5);
        using var b = new BertModel(config);
        foreach (var (name, p) in a.state_dict())
            Assert.True(p.SameAs(b.state_dict()[name]).item<bool>(), name);

        var sd = a.state_dict();
        Assert.Equal(1f, sd["encoder.layer.0.output.LayerNorm.weight"].min().item<float>());
        Assert.Equal(0f, sd["encoder.layer.0.output.LayerNorm.bias"].abs().max().item<float>());
        Assert.Equal(0f, sd["encoder.layer.0.intermediate.dense.bias"].abs().max().item<float>());
        Assert.Equal(0f, sd["embeddings.word_embeddings.weight"][config.PadTokenId].abs().max().item<float>());
        var std = sd["encoder.layer.0.intermediate.dense.weight"].std().item<float>();
        Assert.InRange(std, 0.017f, 0.023f);   // 384 draws from N(0, 0.02)
    }

    [Fact]
    public void Token_classification_loss_ignores_minus_100()
    {
        torch.manual_seed(6);
        var config = TinyBert();
        config.NumLabels = 3;
        using var model = new BertForTokenClassification(config);
        model.eval();
        using var _ = NewDisposeScope();
        var ids = Ids(new long[,] { { 2, 9, 4, 7 } });
        var labels = Ids(new long[,] { { -100, 2, 0, -100 } });
        var output = model.forward(ids, null, null, labels);
        var logp = output.Logits[0].log_softmax(-1);
        var byHand = -(logp[1, 2] + logp[2, 0]) / 2;
        Assert.True(MaxAbsDiff(output.Loss!, byHand) < 1e-5f);
    }

    [Fact]
    public void Question_answering_gives_start_and_end_logits()
    {
        torch.manual_seed(7);
        using var model = new BertForQuestionAnswering(TinyBert());
        model.eval();
        using var _ = NewDisposeScope();
        var ids = Ids(new long[,] { { 2, 9, 4, 7 }, { 3, 3, 1, 1 } });
        var output = model.forward(ids, null, null, torch.tensor(new long[] { 1, 2 }), torch.tensor(new long[] { 2, 3 }));
        Assert.Equal(new long[] { 2, 4 }, output.StartLogits.shape);
        Assert.Equal(new long[] { 2, 4 }, output.EndLogits.shape);
        var ls = output.StartLogits.log_softmax(-1);
        var le = output.EndLogits.log_softmax(-1);
        var byHand = -((ls[0, 1] + ls[1, 2]) / 2 + (le[0, 2] + le[1, 3]) / 2) / 2;
        Assert.True(MaxAbsDiff(output.Loss!, byHand) < 1e-5f);
    }
}
