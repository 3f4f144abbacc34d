using CourseKit.Models;
using CourseKit.Native;
using TorchSharp;
using static CourseKit.Tests.Models.ModelTestData;

namespace CourseKit.Tests.Models;

[Collection(TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public class ParameterCountsTests
{
    public ParameterCountsTests() => TorchRuntime.Initialize();

    [Fact]
    public void By_module_splits_the_total_in_model_order()
    {
        var c = TinyBert(layers: 2);
        long H = c.HiddenSize, I = c.IntermediateSize;
        using var model = new BertModel(c);
        var table = ParameterCounts.ByModule(model, depth: 1);
        Assert.Equal(["embeddings", "encoder", "pooler"], table["module"].Cast<string>().ToArray());
        var counts = table["parameters"].Cast<long>().ToArray();
        Assert.Equal((c.VocabSize + c.MaxPositionEmbeddings + c.TypeVocabSize) * H + 2 * H, counts[0]);
        Assert.Equal(H * H + H, counts[2]);
        Assert.Equal(ParameterCounts.Total(model), counts.Sum());
        Assert.Equal(100.0, table["share %"].Cast<double>().Sum(), 1);

        var layers = ParameterCounts.ByModule(model, depth: 3);
        Assert.Contains("encoder.layer.1", layers["module"].Cast<string>());
        Assert.Contains("embeddings.word_embeddings", layers["module"].Cast<string>());
        var layer1 = layers.Rows.Single(r => (string)r[0] == "encoder.layer.1");
        Assert.Equal(4 * (H * H + H) + 2 * H + (H * I + I) + (I * H + H) + 2 * H, (long)layer1[1]);
    }

    [Fact]
    public void Trainable_leaves_out_frozen_parameters()
    {
        using var model = new BertModel(TinyBert());
        foreach (var p in model.embeddings.parameters()) p.requires_grad = false;
        var frozen = model.embeddings.parameters().Sum(p => p.numel());
        Assert.Equal(ParameterCounts.Total(model) - frozen, ParameterCounts.Trainable(model));
    }
}
