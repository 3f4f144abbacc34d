using CourseKit.Attention;
using CourseKit.Native;
using MathNet.Numerics.LinearAlgebra;
using TorchSharp;
using static CourseKit.Tests.Attention.TorchAttentionTestData;
using static TorchSharp.torch;

namespace CourseKit.Tests.Attention;

/// <summary>The TorchSharp implementation (float64) against the MathNet reference, within 1e-9.</summary>
[KeepTensorsAlive]
public class TorchVsReferenceTests
{
    private const double Tol = 1e-9;

    public TorchVsReferenceTests() => TorchRuntime.Initialize();

    // Two sequences of 5: the first has two padding keys at the end; the second one at the start
    // (left padding), which together with the causal mask leaves its query 0 with no key at all.
    private static readonly bool[][] KeyIsReal =
    {
        new[] { true, true, true, false, false },
        new[] { false, true, true, true, true },
    };

    private static bool[,] ReferenceMask(int b, bool causal)
    {
        var mask = ReferenceAttention.PaddingMask(KeyIsReal[b], 5);
        return causal ? ReferenceAttention.And(mask, ReferenceAttention.CausalMask(5)) : mask;
    }

    private static Tensor TorchPadding()
    {
        using var real = torch.tensor(KeyIsReal.SelectMany(r => r).ToArray(), new long[] { 2, 5 });
        return AttentionMasks.Padding(real); // (2, 1, 1, 5)
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Single_head_attention_matches_reference(bool causal, bool fused)
    {
        var rng = new Random(10);
        var Q = Enumerable.Range(0, 2).Select(_ => RandomMatrix(5, 4, rng)).ToArray();
        var K = Enumerable.Range(0, 2).Select(_ => RandomMatrix(5, 4, rng)).ToArray();
        var V = Enumerable.Range(0, 2).Select(_ => RandomMatrix(5, 3, rng)).ToArray();

        using var scope = torch.NewDisposeScope();
        var q = Stack(Q); var k = Stack(K); var v = Stack(V);
        var padding = TorchPadding().squeeze(1); // (2, 1, 5): no head dim here
        Tensor output, weights = null!;
        if (fused) output = ScaledDotProductAttention.Fused(q, k, v, padding, isCausal: causal);
        else (output, weights) = ScaledDotProductAttention.Explicit(q, k, v, padding, isCausal: causal);

        for (int b = 0; b < 2; b++)
        {
            var expected = ReferenceAttention.ScaledDotProduct(Q[b], K[b], V[b], ReferenceMask(b, causal));
            AssertClose(expected.Output, ToMatrix(output[b]));
            if (!fused) AssertClose(expected.Weights, ToMatrix(weights[b]));
        }
        Assert.False(HasNaN(output));
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Multi_head_attention_with_copied_weights_matches_reference(bool causal, bool fused)
    {
        const int dModel = 8, heads = 2;
        var reference = ReferenceMultiHeadAttention.CreateRandom(dModel, heads, seed: 7);
        var rng = new Random(11);
        var X = Enumerable.Range(0, 2).Select(_ => RandomMatrix(5, dModel, rng)).ToArray();
        var Y = Enumerable.Range(0, 2).Select(_ => RandomMatrix(5, dModel, rng)).ToArray(); // keys/values source

        using var mha = new MultiHeadAttention(dModel, heads);
        mha.to(ScalarType.Float64);
        mha.eval();
        mha.UseFused = fused;
        CopyWeights(reference, mha);

        using var scope = torch.NewDisposeScope();
        var x = Stack(X); var y = Stack(Y);
        var padding = TorchPadding();
        var output = mha.forward(x, y, y, padding, causal);
        var (explicitOutput, weights) = mha.ForwardWithWeights(x, y, y, padding, causal);

        for (int b = 0; b < 2; b++)
        {
            var expected = reference.Forward(X[b], Y[b], Y[b], ReferenceMask(b, causal));
            AssertClose(expected.Output, ToMatrix(output[b]));
            AssertClose(expected.Output, ToMatrix(explicitOutput[b]));
            for (int h = 0; h < heads; h++) AssertClose(expected.HeadWeights[h], ToMatrix(weights[b, h]));
        }
        Assert.False(HasNaN(output));
    }

    [Fact]
    public void Sinusoidal_table_matches_reference()
    {
        using var table = SinusoidalPositionalEncoding.Table(50, 16, ScalarType.Float64);
        AssertClose(ReferencePositionalEncoding.Sinusoidal(50, 16), ToMatrix(table));
    }

    [Fact]
    public void Sinusoidal_module_adds_the_table_to_each_sequence()
    {
        using var pe = new SinusoidalPositionalEncoding(maxLength: 10, dModel: 4);
        using var x = torch.zeros(2, 3, 4);
        using var y = pe.forward(x);
        var expected = ReferencePositionalEncoding.Sinusoidal(3, 4);
        for (int b = 0; b < 2; b++)
        {
            using var row = y[b].to_type(ScalarType.Float64);
            Assert.True((expected - ToMatrix(row)).FrobeniusNorm() < 1e-6);
        }
        using var tooLong = torch.zeros(1, 11, 4);
        Assert.Throws<ArgumentException>(() => pe.forward(tooLong));
    }

    [Fact]
    public void Learned_module_adds_table_rows_by_position()
    {
        using var pe = new LearnedPositionalEncoding(maxLength: 6, dModel: 3);
        using var x = torch.ones(2, 4, 3);
        using var y = pe.forward(x);
        using var expected = pe.Table.weight!.narrow(0, 0, 4) + 1;
        Assert.True(MaxAbsDiff(y[0], expected) < 1e-7);
        Assert.True(MaxAbsDiff(y[1], expected) < 1e-7);
    }

    /// <summary>Reference weights are d_in × d_out (X W); a torch Linear stores d_out × d_in (X Wᵀ).</summary>
    private static void CopyWeights(ReferenceMultiHeadAttention r, MultiHeadAttention m)
    {
        using var _ = torch.no_grad();
        foreach (var (linear, W, bias) in new[]
                 {
                     (m.QProj, r.W_Q, r.b_Q), (m.KProj, r.W_K, r.b_K), (m.VProj, r.W_V, r.b_V), (m.OutProj, r.W_O, r.b_O),
                 })
        {
            using var w = ToTensor(W.Transpose());
            using var b = torch.tensor(bias.ToArray(), dtype: ScalarType.Float64);
            linear.weight!.copy_(w);
            linear.bias!.copy_(b);
        }
    }

    private static void AssertClose(Matrix<double> expected, Matrix<double> actual)
    {
        Assert.Equal(expected.RowCount, actual.RowCount);
        Assert.Equal(expected.ColumnCount, actual.ColumnCount);
        double maxDiff = (expected - actual).Enumerate().Max(Math.Abs);
        Assert.True(maxDiff < Tol, $"max |expected - actual| = {maxDiff:E3} >= {Tol:E0}\nexpected:\n{expected}\nactual:\n{actual}");
    }
}
