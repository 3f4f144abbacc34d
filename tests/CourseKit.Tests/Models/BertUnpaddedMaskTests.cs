using CourseKit.Models;
using CourseKit.Native;
using TorchSharp;
using static TorchSharp.torch;
using static CourseKit.Tests.Models.ModelTestData;

namespace CourseKit.Tests.Models;

/// <summary>An attention mask of all ones is dropped before the layers (it masks nothing): the output must be bit for
/// bit what adding its zeros gives, in both attention paths, and a mask with padding must still mask.</summary>
[Collection(TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public class BertUnpaddedMaskTests
{
    public BertUnpaddedMaskTests() => TorchRuntime.Initialize();

    [Theory]
    [InlineData(AttentionImplementation.Eager)]
    [InlineData(AttentionImplementation.Sdpa)]
    public void A_mask_of_ones_gives_the_same_bits_as_adding_its_zeros(AttentionImplementation attention)
    {
        torch.manual_seed(3);
        var config = TinyBert();
        config.AttentionImplementation = attention;
        using var model = new BertModel(config);
        model.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var ids = torch.randint(1, config.VocabSize, [2, 6]);
        var ones = torch.ones(2, 6, dtype: int64);
        var dropped = model.forward(ids, ones, null).LastHiddenState;
        var (added, _) = model.encoder.forward(model.embeddings.forward(ids), BertModel.AdditiveMask(ones, float32));
        Assert.True(dropped.SameAs(added).item<bool>(), $"max |diff| {MaxAbsDiff(dropped, added)}");
    }

    [Fact]
    public void A_mask_with_padding_still_masks()
    {
        torch.manual_seed(4);
        using var model = new BertModel(TinyBert());
        model.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var ids = torch.randint(1, 50, [1, 6]);
        var padded = torch.tensor(new long[] { 1, 1, 1, 1, 0, 0 }, [1, 6]);
        var masked = model.forward(ids, padded, null).LastHiddenState.narrow(1, 0, 4);
        var shorter = model.forward(ids.narrow(1, 0, 4), null, null).LastHiddenState;
        Assert.InRange(MaxAbsDiff(masked, shorter), 0, 1e-5);
        Assert.True(MaxAbsDiff(model.forward(ids, null, null).LastHiddenState.narrow(1, 0, 4), shorter) > 1e-4);
    }
}
