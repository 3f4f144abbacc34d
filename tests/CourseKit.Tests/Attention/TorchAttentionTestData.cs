using MathNet.Numerics.LinearAlgebra;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tests.Attention;

internal static class TorchAttentionTestData
{
    public static Matrix<double> RandomMatrix(int rows, int cols, Random rng)
        => Matrix<double>.Build.Dense(rows, cols, (_, _) => rng.NextDouble() * 2 - 1);

    public static Tensor ToTensor(Matrix<double> m)
        => torch.tensor(m.ToRowMajorArray(), new long[] { m.RowCount, m.ColumnCount }, dtype: ScalarType.Float64);

    /// <summary>Stacks equally shaped matrices into (count, rows, cols).</summary>
    public static Tensor Stack(IEnumerable<Matrix<double>> ms) => torch.stack(ms.Select(ToTensor).ToArray());

    public static Matrix<double> ToMatrix(Tensor t)
    {
        var shape = t.shape;
        var data = t.contiguous().data<double>().ToArray();
        return Matrix<double>.Build.Dense((int)shape[0], (int)shape[1], (i, j) => data[i * shape[1] + j]);
    }

    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        using var d = (a - b).abs().max();
        return d.to_type(ScalarType.Float64).item<double>();
    }

    public static bool HasNaN(Tensor t)
    {
        using var any = t.isnan().any();
        return any.item<bool>();
    }
}
