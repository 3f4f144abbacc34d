using CourseKit.Models;
using CourseKit.Native;
using TorchSharp;
using static TorchSharp.torch;
using static CourseKit.Tests.Models.ModelTestData;

namespace CourseKit.Tests.Models;

/// <summary>The forward arguments PEFT uses instead of hooks: inputs_embeds and past_key_values, as in Hugging Face.</summary>
[Collection(TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public class BertForwardArgumentsTests
{
    public BertForwardArgumentsTests() => TorchRuntime.Initialize();

    static readonly long[,] Tokens = { { 2, 17, 33, 5, 9, 3 }, { 2, 41, 8, 3, 0, 0 } };

    static BertModel Model()
    {
        torch.manual_seed(3);
        var model = new BertModel(TinyBert());
        model.eval();
        return model;
    }

    [Fact]
    public void Inputs_embeds_of_the_word_embeddings_give_the_outputs_of_the_ids()
    {
        var model = Model();
        var ids = Ids(Tokens);
        var mask = ids.ne(0).to_type(ScalarType.Int64);
        using var noGrad = no_grad();
        var fromIds = model.forward(ids, mask, null);
        var fromEmbeds = model.forward(null, mask, null, inputsEmbeds: model.embeddings.word_embeddings.forward(ids));
        Assert.True(fromIds.LastHiddenState.SameAs(fromEmbeds.LastHiddenState).item<bool>());
        Assert.True(fromIds.PoolerOutput!.SameAs(fromEmbeds.PoolerOutput!).item<bool>());
        Assert.Throws<ArgumentException>(() => model.forward(null, mask, null));
        Assert.Throws<ArgumentException>(() => model.forward(ids, mask, null, inputsEmbeds: model.embeddings.word_embeddings.forward(ids)));
    }

    /// <summary>Past keys are attended to when the mask lets them (the output changes, the weights over them are
    /// positive) and ignored when it masks them (the output is the plain one).</summary>
    [Fact]
    public void Past_key_values_are_attended_where_the_mask_allows()
    {
        var model = Model();
        var ids = Ids(Tokens);
        var mask = ids.ne(0).to_type(ScalarType.Int64);
        const int P = 3;
        var config = model.Config;
        var generator = new torch.Generator(11);
        var past = Enumerable.Range(0, config.NumHiddenLayers)
            .Select(_ => (randn([2, config.NumAttentionHeads, P, config.HeadDim], generator: generator),
                          randn([2, config.NumAttentionHeads, P, config.HeadDim], generator: generator)))
            .ToList();
        using var noGrad = no_grad();
        var plain = model.forward(ids, mask, null);
        var attended = model.forward(ids, cat([ones(2, P, dtype: int64), mask], 1), null, outputAttentions: true, pastKeyValues: past);
        var masked = model.forward(ids, cat([zeros(2, P, dtype: int64), mask], 1), null, pastKeyValues: past);

        Assert.True(MaxAbsDiff(plain.LastHiddenState, masked.LastHiddenState) < 1e-6, $"{MaxAbsDiff(plain.LastHiddenState, masked.LastHiddenState)}");
        Assert.True(MaxAbsDiff(plain.LastHiddenState, attended.LastHiddenState) > 1e-3);
        foreach (var weights in attended.Attentions!)
        {
            Assert.Equal(new long[] { 2, config.NumAttentionHeads, 6, P + 6 }, weights.shape);
            Assert.True(weights[.., .., .., ..P].min().item<float>() > 0, "every query attends to the past keys");
            Assert.Equal(0f, weights[1, .., .., (P + 4)..].abs().max().item<float>());    // padding keys
        }
        Assert.Throws<ArgumentException>(() => model.forward(ids, mask, null, pastKeyValues: past));   // the mask must cover P + T keys
        Assert.Throws<ArgumentException>(() => model.forward(ids, null, null, pastKeyValues: past.Take(1).ToList()));
    }
}
