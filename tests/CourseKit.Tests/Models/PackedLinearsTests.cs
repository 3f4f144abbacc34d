using CourseKit.Models;
using CourseKit.Native;
using TorchSharp;
using static TorchSharp.torch;
using static CourseKit.Tests.Models.ModelTestData;

namespace CourseKit.Tests.Models;

/// <summary><see cref="PackedLinears"/>: the same BERT forward on oneDNN weights packed once, only while the handle
/// lives and only without gradients.</summary>
[Collection(TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public class PackedLinearsTests
{
    public PackedLinearsTests() => TorchRuntime.Initialize();

    [Fact]
    public void A_packed_bert_gives_the_same_hidden_states_and_unpacking_restores_the_ordinary_path()
    {
        Assert.True(OneDnnLinear.IsAvailable, "the pinned libtorch registers mkldnn::_linear_pointwise");
        torch.manual_seed(11);
        using var model = new BertModel(TinyBert());
        model.eval();
        using var ids = torch.randint(5, 50, [3, 7]);
        using var mask = torch.ones(3, 7, ScalarType.Int64);
        mask[2, TensorIndex.Slice(4)] = torch.tensor(0L);                                  // padding in one row
        using var noGrad = no_grad();
        using var reference = model.forward(ids, mask, null).LastHiddenState.clone();

        Tensor packedOutput;
        using (var packed = PackedLinears.Pack(model))
        {
            Assert.Equal(2 * 6 + 1, packed.Count);                                         // 6 per layer + the pooler
            Assert.Throws<InvalidOperationException>(() => PackedLinears.Pack(model));      // one handle per model at a time
            packedOutput = model.forward(ids, mask, null).LastHiddenState.clone();
        }
        Assert.True(packedOutput.allclose(reference, rtol: 0, atol: 1e-5), $"max |diff| {(packedOutput - reference).abs().max().item<float>()}");
        Assert.False(packedOutput.eq(reference).all().item<bool>(), "the packed path ran (another kernel rounds differently)");
        using var after = model.forward(ids, mask, null).LastHiddenState;
        Assert.True(after.eq(reference).all().item<bool>(), "after Dispose the ordinary Linear runs again, bit for bit");
    }

    [Fact]
    public void With_gradients_on_the_ordinary_linear_runs_and_trains()
    {
        torch.manual_seed(12);
        using var model = new BertModel(TinyBert(layers: 1));
        using var ids = torch.randint(5, 50, [2, 5]);
        using var packed = PackedLinears.Pack(model);
        var output = model.forward(ids, null, null).LastHiddenState;
        output.sum().backward();
        Assert.NotNull(model.encoder.layer[0].attention.self_attention.query.weight!.grad);
    }

    [Fact]
    public void A_peft_model_is_refused()
    {
        torch.manual_seed(13);
        using var classifier = new BertForSequenceClassification(TinyBert(layers: 1));
        using var peft = CourseKit.Peft.PeftModel.Create(classifier, new CourseKit.Peft.LoraConfig { R = 2 });
        var e = Assert.Throws<ArgumentException>(() => PackedLinears.Pack(peft));
        Assert.Contains("PEFT", e.Message);
    }
}
