using CourseKit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tests.Models;

internal static class ModelTestData
{
    public static BertConfig TinyBert(int layers = 2) => new()
    {
        VocabSize = 50, HiddenSize = 16, NumHiddenLayers = layers, NumAttentionHeads = 4, IntermediateSize = 24,
        MaxPositionEmbeddings = 20, TypeVocabSize = 2, HiddenDropoutProb = 0.1, AttentionProbsDropoutProb = 0.1,
    };

    public static GptConfig TinyGpt(int layers = 2) => new()
    {
        VocabSize = 30, NPositions = 12, NEmbd = 16, NLayer = layers, NHead = 4,
    };

    public static Tensor Ids(long[,] ids) => torch.tensor(ids);

    public static float MaxAbsDiff(Tensor a, Tensor b)
    {
        using var d = (a - b).abs().max();
        return d.item<float>();
    }

    /// <summary>torch.equal: same shape and every element equal, as a scalar bool tensor.</summary>
    public static Tensor SameAs(this Tensor a, Tensor b) =>
        a.shape.SequenceEqual(b.shape) ? a.eq(b).all() : torch.tensor(false);

    public static float[] Floats(Tensor t) => t.detach().cpu().contiguous().data<float>().ToArray();
}

/// <summary>Model tests seed torch's global generator and then build models: run them one at a time so another test
/// class does not draw from the generator in between.</summary>
[CollectionDefinition(Name)]
public sealed class TorchGlobalRngCollection
{
    public const string Name = "Models: torch global RNG";
}
