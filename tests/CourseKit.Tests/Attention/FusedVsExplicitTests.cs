using CourseKit.Attention;
using CourseKit.Native;
using TorchSharp;
using static CourseKit.Tests.Attention.TorchAttentionTestData;
using static TorchSharp.torch;

namespace CourseKit.Tests.Attention;

/// <summary>The fused libtorch kernel against the explicit path (float32, within 1e-5), and the NaN convention.</summary>
[KeepTensorsAlive]
public class FusedVsExplicitTests
{
    private const double Tol = 1e-5;

    public FusedVsExplicitTests() => TorchRuntime.Initialize();

    public enum MaskKind { None, Padding, Additive, TwoD }

    [Theory]
    [InlineData(MaskKind.None, false)]
    [InlineData(MaskKind.None, true)]
    [InlineData(MaskKind.Padding, false)]
    [InlineData(MaskKind.Padding, true)]
    [InlineData(MaskKind.Additive, false)]
    [InlineData(MaskKind.Additive, true)]
    [InlineData(MaskKind.TwoD, false)]
    [InlineData(MaskKind.TwoD, true)]
    public void Fused_equals_explicit(MaskKind kind, bool causal)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(1);
        const long B = 3, H = 2, L = 6, S = 6, E = 8;
        var q = torch.randn(B, H, L, E);
        var k = torch.randn(B, H, S, E);
        var v = torch.randn(B, H, S, 5);
        var mask = kind switch
        {
            MaskKind.None => null,
            MaskKind.Padding => AttentionMasks.Padding(torch.tensor(new long[,]
                { { 1, 1, 1, 1, 1, 1 }, { 1, 1, 1, 1, 0, 0 }, { 1, 0, 0, 0, 0, 0 } })),
            // random finite biases with some keys blocked (-inf) per query
            MaskKind.Additive => torch.randn(B, 1, L, S).masked_fill(torch.rand(B, 1, L, S) < 0.3, double.NegativeInfinity),
            MaskKind.TwoD => torch.rand(L, S) > 0.4,
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        var fused = ScaledDotProductAttention.Fused(q, k, v, mask, causal);
        var (expl, weights) = ScaledDotProductAttention.Explicit(q, k, v, mask, causal);

        Assert.Equal(new[] { B, H, L, 5L }, fused.shape);
        Assert.False(HasNaN(fused));
        Assert.False(HasNaN(expl));
        double diff = MaxAbsDiff(fused, expl);
        Assert.True(diff < Tol, $"max |fused - explicit| = {diff:E3}");
        AssertRowsSumToOneUnlessFullyMasked(weights);
    }

    [Fact]
    public void Multi_head_module_fused_equals_explicit_with_batch_and_heads()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(2);
        using var mha = new MultiHeadAttention(dModel: 16, numHeads: 4);
        mha.eval();
        var x = torch.randn(3, 7, 16);
        var padding = AttentionMasks.Padding(torch.tensor(new long[,]
            { { 1, 1, 1, 1, 1, 1, 1 }, { 1, 1, 1, 1, 1, 0, 0 }, { 0, 0, 1, 1, 1, 1, 1 } }));
        foreach (var causal in new[] { false, true })
        {
            var fused = mha.forward(x, x, x, padding, causal);
            var (expl, weights) = mha.ForwardWithWeights(x, x, x, padding, causal);
            Assert.Equal(new long[] { 3, 4, 7, 7 }, weights.shape);
            Assert.True(MaxAbsDiff(fused, expl) < Tol);
            AssertRowsSumToOneUnlessFullyMasked(weights);
        }
    }

    [Fact]
    public void Capture_weights_keeps_the_last_attention_map()
    {
        torch.manual_seed(3);
        using var mha = new MultiHeadAttention(dModel: 8, numHeads: 2) { CaptureWeights = true };
        using var x = torch.randn(1, 4, 8);
        using (var y = mha.forward(x, x, x, isCausal: true)) { }
        Assert.NotNull(mha.LastWeights);
        Assert.Equal(new long[] { 1, 2, 4, 4 }, mha.LastWeights!.shape);
        // causal: query 0 attends only to key 0
        Assert.Equal(1.0f, mha.LastWeights[0, 0, 0, 0].item<float>(), 1e-6f);
        Assert.Equal(0.0f, mha.LastWeights[0, 1, 0, 3].item<float>());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Fully_masked_row_gives_zero_output_and_finite_gradients(bool fused)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(4);
        var q = torch.randn(2, 2, 4, 8, requires_grad: true);
        var k = torch.randn(2, 2, 5, 8, requires_grad: true);
        var v = torch.randn(2, 2, 5, 3, requires_grad: true);
        // batch 1 has no real key at all; in batch 0 query 2 is blocked from every key
        var mask = torch.ones(2, 1, 4, 5, dtype: ScalarType.Bool);
        mask[1] = torch.tensor(false);
        mask[0, 0, 2] = torch.tensor(false);

        Tensor output;
        if (fused) output = ScaledDotProductAttention.Fused(q, k, v, mask);
        else
        {
            Tensor weights;
            (output, weights) = ScaledDotProductAttention.Explicit(q, k, v, mask);
            Assert.False(HasNaN(weights));
            Assert.Equal(0.0, weights[1].abs().sum().item<float>());
            Assert.Equal(0.0, weights[0, 0, 2].abs().sum().item<float>());
        }

        Assert.False(HasNaN(output));
        Assert.Equal(0.0, output[1].abs().sum().item<float>());
        Assert.Equal(0.0, output[0, 0, 2].abs().sum().item<float>());
        Assert.True(output[0, 0, 1].abs().sum().item<float>() > 0); // other rows are untouched

        output.sum().backward();
        Assert.False(HasNaN(q.grad!));
        Assert.False(HasNaN(k.grad!));
        Assert.False(HasNaN(v.grad!));
    }

    [Fact]
    public void Additive_mask_with_a_fully_blocked_row_is_zeroed_too()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(5);
        var q = torch.randn(1, 3, 4);
        var k = torch.randn(1, 3, 4);
        var v = torch.randn(1, 3, 2);
        var bias = torch.zeros(1, 3, 3);
        bias[0, 1] = torch.tensor(float.NegativeInfinity);
        foreach (var output in new[] { ScaledDotProductAttention.Fused(q, k, v, bias), ScaledDotProductAttention.Explicit(q, k, v, bias).Output })
        {
            Assert.False(HasNaN(output));
            Assert.Equal(0.0, output[0, 1].abs().sum().item<float>());
        }
    }

    [Fact]
    public void Large_logits_do_not_overflow_in_either_path()
    {
        // E = 1, so the scores are q·k = [1000, 1001]; softmax = [1/(1+e), e/(1+e)] = [0.26894142, 0.73105858].
        // With V = [[1], [0]] the output is the first weight.
        using var scope = torch.NewDisposeScope();
        var q = torch.tensor(new[] { 1f }, new long[] { 1, 1, 1 });
        var k = torch.tensor(new[] { 1000f, 1001f }, new long[] { 1, 2, 1 });
        var v = torch.tensor(new[] { 1f, 0f }, new long[] { 1, 2, 1 });
        var (expl, weights) = ScaledDotProductAttention.Explicit(q, k, v);
        var fused = ScaledDotProductAttention.Fused(q, k, v);
        Assert.Equal(0.26894142f, weights[0, 0, 0].item<float>(), 1e-6f);
        Assert.Equal(0.73105858f, weights[0, 0, 1].item<float>(), 1e-6f);
        Assert.Equal(0.26894142f, expl[0, 0, 0].item<float>(), 1e-6f);
        Assert.Equal(0.26894142f, fused[0, 0, 0].item<float>(), 1e-6f);
    }

    [Fact]
    public void Dropout_is_applied_only_in_training()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(6);
        var q = torch.randn(2, 6, 8); var k = torch.randn(2, 6, 8); var v = torch.randn(2, 6, 8);
        var plain = ScaledDotProductAttention.Explicit(q, k, v).Output;
        Assert.True(MaxAbsDiff(plain, ScaledDotProductAttention.Explicit(q, k, v, dropoutP: 0.5).Output) < 1e-7);
        Assert.True(MaxAbsDiff(plain, ScaledDotProductAttention.Fused(q, k, v, dropoutP: 0.5)) < Tol);
        Assert.True(MaxAbsDiff(plain, ScaledDotProductAttention.Explicit(q, k, v, dropoutP: 0.5, training: true).Output) > 1e-3);
        Assert.True(MaxAbsDiff(plain, ScaledDotProductAttention.Fused(q, k, v, dropoutP: 0.5, training: true)) > 1e-3);
    }

    [Fact]
    public void Bad_inputs_name_the_tensor()
    {
        using var scope = torch.NewDisposeScope();
        var q = torch.randn(2, 3, 4);
        var ex = Assert.Throws<ArgumentException>(() => ScaledDotProductAttention.Fused(q, torch.randn(2, 3, 5), torch.randn(2, 3, 5)));
        Assert.Contains("key", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => ScaledDotProductAttention.Explicit(q, q, q, torch.ones(3, 4, dtype: ScalarType.Int32)));
        Assert.Contains("mask", ex.Message);
        using var mha = new MultiHeadAttention(8, 2);
        ex = Assert.Throws<ArgumentException>(() => mha.forward(q));
        Assert.Contains("d_model = 8", ex.Message);
        Assert.Throws<ArgumentException>(() => new MultiHeadAttention(10, 3));
    }

    private static void AssertRowsSumToOneUnlessFullyMasked(Tensor weights)
    {
        using var sums = weights.sum(-1).flatten();
        foreach (var s in sums.data<float>().ToArray())
            Assert.True(Math.Abs(s - 1) < 1e-5 || s == 0, $"a weight row sums to {s}");
    }
}
