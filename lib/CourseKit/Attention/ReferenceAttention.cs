using MathNet.Numerics.LinearAlgebra;

namespace CourseKit.Attention;

/// <summary>Output and attention weights of one scaled dot-product attention call.</summary>
public sealed record ReferenceAttentionResult(Matrix<double> Output, Matrix<double> Weights);

/// <summary>
/// Scaled dot-product attention (Vaswani et al. 2017, eq. 1) in plain double-precision linear algebra,
/// written to be read: one sequence at a time, rows are positions.
///
/// Mask convention (shared with <see cref="ScaledDotProductAttention"/>): <c>mask[i, j] == true</c> means
/// query i MAY attend to key j. A query row whose keys are all masked gets all-zero weights and therefore a
/// zero output row, never NaN (softmax over an empty set is undefined; we choose "attend to nothing").
/// </summary>
public static class ReferenceAttention
{
    /// <summary>
    /// Row-wise softmax. Subtracting the row maximum first leaves the result unchanged
    /// (softmax(x) = softmax(x - c)) but keeps every exponent &lt;= 0, so exp never overflows.
    /// A row that is entirely -inf (fully masked) becomes all zeros.
    /// </summary>
    public static Matrix<double> Softmax(Matrix<double> logits)
    {
        var result = Matrix<double>.Build.Dense(logits.RowCount, logits.ColumnCount);
        for (int i = 0; i < logits.RowCount; i++)
        {
            double max = double.NegativeInfinity;
            for (int j = 0; j < logits.ColumnCount; j++) max = Math.Max(max, logits[i, j]);
            if (double.IsNegativeInfinity(max)) continue; // fully masked row: stays zero

            double sum = 0;
            for (int j = 0; j < logits.ColumnCount; j++)
            {
                double e = Math.Exp(logits[i, j] - max);
                result[i, j] = e;
                sum += e;
            }
            for (int j = 0; j < logits.ColumnCount; j++) result[i, j] /= sum;
        }
        return result;
    }

    /// <summary>
    /// Attention(Q, K, V) = softmax(Q Kᵀ / √d_k) V.
    /// Q: n_q × d_k, K: n_k × d_k, V: n_k × d_v, mask: n_q × n_k (true = attend) or null.
    /// Returns the n_q × d_v output and the n_q × n_k weights.
    /// </summary>
    public static ReferenceAttentionResult ScaledDotProduct(
        Matrix<double> Q, Matrix<double> K, Matrix<double> V, bool[,]? mask = null)
    {
        if (Q.ColumnCount != K.ColumnCount)
            throw new ArgumentException($"Q has d_k = {Q.ColumnCount} columns but K has {K.ColumnCount}.", nameof(K));
        if (K.RowCount != V.RowCount)
            throw new ArgumentException($"K has {K.RowCount} rows (keys) but V has {V.RowCount}.", nameof(V));
        if (mask is not null && (mask.GetLength(0) != Q.RowCount || mask.GetLength(1) != K.RowCount))
            throw new ArgumentException(
                $"mask is {mask.GetLength(0)}x{mask.GetLength(1)}, expected n_q x n_k = {Q.RowCount}x{K.RowCount}.", nameof(mask));

        int d_k = Q.ColumnCount;
        var scores = Q * K.Transpose() / Math.Sqrt(d_k);
        if (mask is not null)
            for (int i = 0; i < scores.RowCount; i++)
                for (int j = 0; j < scores.ColumnCount; j++)
                    if (!mask[i, j]) scores[i, j] = double.NegativeInfinity;

        var weights = Softmax(scores);
        return new ReferenceAttentionResult(weights * V, weights);
    }

    /// <summary>Causal (look-ahead) mask: query i may attend to keys j &lt;= i.</summary>
    public static bool[,] CausalMask(int length)
    {
        var mask = new bool[length, length];
        for (int i = 0; i < length; i++)
            for (int j = 0; j <= i; j++) mask[i, j] = true;
        return mask;
    }

    /// <summary>Padding mask: every query may attend to key j only if <paramref name="keyIsReal"/>[j].</summary>
    public static bool[,] PaddingMask(bool[] keyIsReal, int queryLength)
    {
        var mask = new bool[queryLength, keyIsReal.Length];
        for (int i = 0; i < queryLength; i++)
            for (int j = 0; j < keyIsReal.Length; j++) mask[i, j] = keyIsReal[j];
        return mask;
    }

    /// <summary>Element-wise AND of two masks (e.g. causal and padding).</summary>
    public static bool[,] And(bool[,] a, bool[,] b)
    {
        if (a.GetLength(0) != b.GetLength(0) || a.GetLength(1) != b.GetLength(1))
            throw new ArgumentException(
                $"mask shapes differ: {a.GetLength(0)}x{a.GetLength(1)} vs {b.GetLength(0)}x{b.GetLength(1)}.");
        var mask = new bool[a.GetLength(0), a.GetLength(1)];
        for (int i = 0; i < mask.GetLength(0); i++)
            for (int j = 0; j < mask.GetLength(1); j++) mask[i, j] = a[i, j] && b[i, j];
        return mask;
    }
}
