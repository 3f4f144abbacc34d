using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;

namespace CourseKit.Attention;

/// <summary>Output (n_q × d_model) and one n_q × n_k weight matrix per head.</summary>
public sealed record ReferenceMultiHeadResult(Matrix<double> Output, Matrix<double>[] HeadWeights);

/// <summary>
/// MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W^O, head_i = Attention(Q W_i^Q, K W_i^K, V W_i^V)
/// (Vaswani et al. 2017, section 3.2.2), in double precision for one sequence.
///
/// Weights follow the paper's row-vector convention: a projection is X W + b with W of shape d_in × d_out.
/// (A torch Linear stores the transpose: its weight is d_out × d_in and computes X Wᵀ + b.)
/// W^Q holds all heads side by side: columns [i·d_k, (i+1)·d_k) are W_i^Q.
/// </summary>
public sealed class ReferenceMultiHeadAttention
{
    public int DModel { get; }
    public int NumHeads { get; }
    public int DK => DModel / NumHeads;

    public Matrix<double> W_Q { get; }
    public Matrix<double> W_K { get; }
    public Matrix<double> W_V { get; }
    public Matrix<double> W_O { get; }
    public Vector<double> b_Q { get; }
    public Vector<double> b_K { get; }
    public Vector<double> b_V { get; }
    public Vector<double> b_O { get; }

    public ReferenceMultiHeadAttention(int numHeads,
        Matrix<double> W_Q, Vector<double> b_Q,
        Matrix<double> W_K, Vector<double> b_K,
        Matrix<double> W_V, Vector<double> b_V,
        Matrix<double> W_O, Vector<double> b_O)
    {
        DModel = W_Q.RowCount;
        if (numHeads <= 0 || DModel % numHeads != 0)
            throw new ArgumentException($"d_model = {DModel} is not divisible by numHeads = {numHeads}.", nameof(numHeads));
        NumHeads = numHeads;
        foreach (var (name, w) in new[] { ("W_Q", W_Q), ("W_K", W_K), ("W_V", W_V), ("W_O", W_O) })
            if (w.RowCount != DModel || w.ColumnCount != DModel)
                throw new ArgumentException($"{name} is {w.RowCount}x{w.ColumnCount}, expected {DModel}x{DModel}.", name);
        foreach (var (name, b) in new[] { ("b_Q", b_Q), ("b_K", b_K), ("b_V", b_V), ("b_O", b_O) })
            if (b.Count != DModel)
                throw new ArgumentException($"{name} has length {b.Count}, expected {DModel}.", name);
        (this.W_Q, this.W_K, this.W_V, this.W_O) = (W_Q, W_K, W_V, W_O);
        (this.b_Q, this.b_K, this.b_V, this.b_O) = (b_Q, b_K, b_V, b_O);
    }

    /// <summary>Random weights ~ N(0, 1/d_model), seeded, for experiments and tests.</summary>
    public static ReferenceMultiHeadAttention CreateRandom(int dModel, int numHeads, int seed)
    {
        var normal = new Normal(0, 1 / Math.Sqrt(dModel), new Random(seed));
        Matrix<double> M() => Matrix<double>.Build.Random(dModel, dModel, normal);
        Vector<double> B() => Vector<double>.Build.Random(dModel, normal);
        return new ReferenceMultiHeadAttention(numHeads, M(), B(), M(), B(), M(), B(), M(), B());
    }

    /// <summary>Self-attention: queries, keys and values all come from <paramref name="X"/>.</summary>
    public ReferenceMultiHeadResult Forward(Matrix<double> X, bool[,]? mask = null) => Forward(X, X, X, mask);

    /// <summary>query: n_q × d_model, key and value: n_k × d_model, mask: n_q × n_k (true = attend).</summary>
    public ReferenceMultiHeadResult Forward(Matrix<double> query, Matrix<double> key, Matrix<double> value, bool[,]? mask = null)
    {
        foreach (var (name, m) in new[] { ("query", query), ("key", key), ("value", value) })
            if (m.ColumnCount != DModel)
                throw new ArgumentException($"{name} has {m.ColumnCount} columns, expected d_model = {DModel}.", name);

        var Q = SplitHeads(Project(query, W_Q, b_Q), NumHeads);
        var K = SplitHeads(Project(key, W_K, b_K), NumHeads);
        var V = SplitHeads(Project(value, W_V, b_V), NumHeads);

        var heads = new Matrix<double>[NumHeads];
        var weights = new Matrix<double>[NumHeads];
        for (int i = 0; i < NumHeads; i++)
            (heads[i], weights[i]) = ReferenceAttention.ScaledDotProduct(Q[i], K[i], V[i], mask);

        return new ReferenceMultiHeadResult(Project(MergeHeads(heads), W_O, b_O), weights);
    }

    /// <summary>X W + b, adding b to every row.</summary>
    public static Matrix<double> Project(Matrix<double> X, Matrix<double> W, Vector<double> b)
    {
        var Y = X * W;
        for (int r = 0; r < Y.RowCount; r++) Y.SetRow(r, Y.Row(r) + b);
        return Y;
    }

    /// <summary>n × d_model → numHeads matrices n × d_k (head i = columns [i·d_k, (i+1)·d_k)).</summary>
    public static Matrix<double>[] SplitHeads(Matrix<double> X, int numHeads)
    {
        int d_k = X.ColumnCount / numHeads;
        return Enumerable.Range(0, numHeads).Select(i => X.SubMatrix(0, X.RowCount, i * d_k, d_k)).ToArray();
    }

    /// <summary>Concat(head_1, ..., head_h) along columns.</summary>
    public static Matrix<double> MergeHeads(Matrix<double>[] heads)
    {
        var merged = heads[0];
        for (int i = 1; i < heads.Length; i++) merged = merged.Append(heads[i]);
        return merged;
    }
}
