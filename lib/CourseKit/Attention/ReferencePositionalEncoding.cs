using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;

namespace CourseKit.Attention;

/// <summary>Positional encodings in double precision: one row per position, added to the token embeddings.</summary>
public static class ReferencePositionalEncoding
{
    /// <summary>
    /// Sinusoidal encodings (Vaswani et al. 2017, section 3.5):
    /// PE(pos, 2i) = sin(pos / 10000^(2i/d_model)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d_model)).
    /// Returns a maxLength × d_model matrix.
    /// </summary>
    public static Matrix<double> Sinusoidal(int maxLength, int dModel)
    {
        if (maxLength <= 0 || dModel <= 0)
            throw new ArgumentException($"maxLength ({maxLength}) and dModel ({dModel}) must be positive.");
        return Matrix<double>.Build.Dense(maxLength, dModel, (pos, j) =>
        {
            int twoI = j - j % 2; // columns 2i and 2i+1 share a frequency
            double angle = pos / Math.Pow(10000, (double)twoI / dModel);
            return j % 2 == 0 ? Math.Sin(angle) : Math.Cos(angle);
        });
    }

    /// <summary>X + PE[0..n): adds the first n rows of <paramref name="table"/> to an n × d_model input.</summary>
    public static Matrix<double> Add(Matrix<double> X, Matrix<double> table)
    {
        if (X.RowCount > table.RowCount)
            throw new ArgumentException($"sequence length {X.RowCount} exceeds the {table.RowCount} positions of the table.", nameof(X));
        if (X.ColumnCount != table.ColumnCount)
            throw new ArgumentException($"input has d_model = {X.ColumnCount} but the table has {table.ColumnCount}.", nameof(X));
        return X + table.SubMatrix(0, X.RowCount, 0, X.ColumnCount);
    }
}

/// <summary>Learned positional encodings: a trainable maxLength × d_model lookup table (row = position).</summary>
public sealed class ReferenceLearnedPositionalEncoding
{
    public Matrix<double> Table { get; }

    public ReferenceLearnedPositionalEncoding(Matrix<double> table) => Table = table;

    /// <summary>Table initialised ~ N(0, 0.02²) like GPT-2/BERT, seeded.</summary>
    public ReferenceLearnedPositionalEncoding(int maxLength, int dModel, int seed)
        : this(Matrix<double>.Build.Random(maxLength, dModel, new Normal(0, 0.02, new Random(seed)))) { }

    /// <summary>The rows of the table for the given positions.</summary>
    public Matrix<double> Lookup(IReadOnlyList<int> positions)
    {
        var rows = Matrix<double>.Build.Dense(positions.Count, Table.ColumnCount);
        for (int r = 0; r < positions.Count; r++)
        {
            int pos = positions[r];
            if (pos < 0 || pos >= Table.RowCount)
                throw new ArgumentOutOfRangeException(nameof(positions), $"position {pos} is outside the table [0, {Table.RowCount}).");
            rows.SetRow(r, Table.Row(pos));
        }
        return rows;
    }

    /// <summary>X + table[0..n).</summary>
    public Matrix<double> Add(Matrix<double> X) => ReferencePositionalEncoding.Add(X, Table);
}
