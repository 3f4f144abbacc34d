using CourseKit.Attention;
using MathNet.Numerics.LinearAlgebra;

namespace CourseKit.Tests.Attention;

[KeepTensorsAlive]
public class ReferenceAttentionTests
{
    private static Matrix<double> M(double[,] a) => Matrix<double>.Build.DenseOfArray(a);

    [Fact]
    public void Softmax_of_large_logits_does_not_overflow()
    {
        // exp(1000) overflows a double; with the max subtracted the row is [exp(-1), exp(0)] / (exp(-1) + 1),
        // i.e. [1/(1+e), e/(1+e)] = [0.2689414213699951, 0.7310585786300049].
        var p = ReferenceAttention.Softmax(M(new double[,] { { 1000, 1001 } }));
        Assert.Equal(0.2689414213699951, p[0, 0], 1e-12);
        Assert.Equal(0.7310585786300049, p[0, 1], 1e-12);
    }

    [Fact]
    public void Hand_worked_2x2_example()
    {
        // Q = K = I (d_k = 2), V = [[1, 2], [3, 4]].
        // Q Kᵀ / √2 = [[1/√2, 0], [0, 1/√2]], 1/√2 = 0.70710678.
        // Row 0: softmax([0.70710678, 0]) = [e^0.7071, 1] / (e^0.7071 + 1) = [2.02811498, 1] / 3.02811498
        //      = [0.66976155, 0.33023845]; output = 0.66976155·[1, 2] + 0.33023845·[3, 4] = [1.66047690, 2.66047690].
        // Row 1: the same weights swapped, [0.33023845, 0.66976155]; output = [2.33952310, 3.33952310].
        var I = M(new double[,] { { 1, 0 }, { 0, 1 } });
        var V = M(new double[,] { { 1, 2 }, { 3, 4 } });
        var (output, weights) = ReferenceAttention.ScaledDotProduct(I, I, V);

        Assert.Equal(0.66976155, weights[0, 0], 1e-7);
        Assert.Equal(0.33023845, weights[0, 1], 1e-7);
        Assert.Equal(0.33023845, weights[1, 0], 1e-7);
        Assert.Equal(0.66976155, weights[1, 1], 1e-7);
        Assert.Equal(1.66047690, output[0, 0], 1e-7);
        Assert.Equal(2.66047690, output[0, 1], 1e-7);
        Assert.Equal(2.33952310, output[1, 0], 1e-7);
        Assert.Equal(3.33952310, output[1, 1], 1e-7);
    }

    [Fact]
    public void Causal_mask_makes_the_first_query_copy_the_first_value()
    {
        // Query 0 may only see key 0, so its weights are [1, 0] and its output is V[0].
        var I = M(new double[,] { { 1, 0 }, { 0, 1 } });
        var V = M(new double[,] { { 1, 2 }, { 3, 4 } });
        var (output, weights) = ReferenceAttention.ScaledDotProduct(I, I, V, ReferenceAttention.CausalMask(2));
        Assert.Equal(new[] { 1.0, 0.0 }, weights.Row(0).ToArray());
        Assert.Equal(new[] { 1.0, 2.0 }, output.Row(0).ToArray());
    }

    [Fact]
    public void Fully_masked_row_gives_zero_weights_and_zero_output_not_NaN()
    {
        var rng = new Random(1);
        var Q = Matrix<double>.Build.Dense(3, 4, (_, _) => rng.NextDouble());
        var K = Matrix<double>.Build.Dense(5, 4, (_, _) => rng.NextDouble());
        var V = Matrix<double>.Build.Dense(5, 2, (_, _) => rng.NextDouble());
        var mask = new bool[3, 5];
        for (int j = 0; j < 5; j++) { mask[0, j] = true; mask[2, j] = j % 2 == 0; } // row 1 sees nothing

        var (output, weights) = ReferenceAttention.ScaledDotProduct(Q, K, V, mask);

        Assert.All(weights.Row(1).ToArray(), w => Assert.Equal(0.0, w));
        Assert.All(output.Row(1).ToArray(), o => Assert.Equal(0.0, o));
        Assert.Equal(1.0, weights.Row(0).Sum(), 1e-12);
        Assert.Equal(1.0, weights.Row(2).Sum(), 1e-12);
        Assert.Equal(0.0, weights[2, 1]);
        Assert.Equal(0.0, weights[2, 3]);
        Assert.DoesNotContain(output.ToRowMajorArray(), double.IsNaN);
    }

    [Fact]
    public void Weights_rows_sum_to_one_with_padding_and_causal_masks()
    {
        var rng = new Random(2);
        var X = Matrix<double>.Build.Dense(6, 4, (_, _) => rng.NextDouble() * 4 - 2);
        var mask = ReferenceAttention.And(ReferenceAttention.CausalMask(6),
            ReferenceAttention.PaddingMask(new[] { true, true, true, true, false, false }, 6));
        var (_, weights) = ReferenceAttention.ScaledDotProduct(X, X, X, mask);
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(1.0, weights.Row(i).Sum(), 1e-12);
            for (int j = 0; j < 6; j++)
                if (!mask[i, j]) Assert.Equal(0.0, weights[i, j]);
        }
    }

    [Fact]
    public void Sinusoidal_encoding_matches_hand_computed_values()
    {
        // d_model = 4: columns (2i, 2i+1) for i = 0 use angle pos / 10000^0 = pos, for i = 1 pos / 10000^(2/4) = pos / 100.
        // pos 0: [sin 0, cos 0, sin 0, cos 0] = [0, 1, 0, 1]
        // pos 1: [sin 1, cos 1, sin 0.01, cos 0.01] = [0.84147098, 0.54030231, 0.00999983, 0.99995000]
        // pos 2: [sin 2, cos 2, sin 0.02, cos 0.02] = [0.90929743, -0.41614684, 0.01999867, 0.99980001]
        var pe = ReferencePositionalEncoding.Sinusoidal(3, 4);
        double[][] expected =
        {
            new[] { 0.0, 1.0, 0.0, 1.0 },
            new[] { 0.84147098, 0.54030231, 0.00999983, 0.99995000 },
            new[] { 0.90929743, -0.41614684, 0.01999867, 0.99980001 },
        };
        for (int pos = 0; pos < 3; pos++)
            for (int j = 0; j < 4; j++)
                Assert.Equal(expected[pos][j], pe[pos, j], 1e-7);
    }

    [Fact]
    public void Learned_encoding_looks_up_table_rows_and_rejects_positions_outside_it()
    {
        var table = M(new double[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } });
        var learned = new ReferenceLearnedPositionalEncoding(table);
        Assert.Equal(new[] { 5.0, 6.0, 1.0, 2.0 }, learned.Lookup(new[] { 2, 0 }).ToRowMajorArray());
        var X = M(new double[,] { { 10, 10 }, { 20, 20 } });
        Assert.Equal(new[] { 11.0, 12.0, 23.0, 24.0 }, learned.Add(X).ToRowMajorArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => learned.Lookup(new[] { 3 }));
    }

    [Fact]
    public void One_head_with_identity_projections_is_plain_attention()
    {
        // With W = I, b = 0 and one head, MultiHead(X, X, X) reduces to Attention(X, X, X).
        var rng = new Random(3);
        var X = Matrix<double>.Build.Dense(4, 3, (_, _) => rng.NextDouble());
        var I = Matrix<double>.Build.DenseIdentity(3);
        var z = Vector<double>.Build.Dense(3);
        var mha = new ReferenceMultiHeadAttention(1, I, z, I, z, I, z, I, z);
        var expected = ReferenceAttention.ScaledDotProduct(X, X, X).Output;
        var actual = mha.Forward(X).Output;
        Assert.True((expected - actual).FrobeniusNorm() < 1e-12);
    }

    [Fact]
    public void Heads_see_their_own_column_blocks()
    {
        var X = M(new double[,] { { 1, 2, 3, 4 }, { 5, 6, 7, 8 } });
        var heads = ReferenceMultiHeadAttention.SplitHeads(X, 2);
        Assert.Equal(new[] { 1.0, 2.0, 5.0, 6.0 }, heads[0].ToRowMajorArray());
        Assert.Equal(new[] { 3.0, 4.0, 7.0, 8.0 }, heads[1].ToRowMajorArray());
        Assert.Equal(X, ReferenceMultiHeadAttention.MergeHeads(heads));
    }

    [Fact]
    public void Bad_shapes_are_reported()
    {
        var Q = Matrix<double>.Build.Dense(2, 3);
        var K = Matrix<double>.Build.Dense(2, 4);
        var ex = Assert.Throws<ArgumentException>(() => ReferenceAttention.ScaledDotProduct(Q, K, K));
        Assert.Contains("d_k", ex.Message);
        Assert.Throws<ArgumentException>(() => ReferenceMultiHeadAttention.CreateRandom(6, 4, seed: 0));
    }
}
