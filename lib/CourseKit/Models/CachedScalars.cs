using System.Collections.Concurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Models;

/// <summary>
/// Scalars made once per value and kept for the life of the process, for the inference path. TorchSharp 0.107
/// frees a Scalar made from a number (<c>t / 8.0</c>, and the alpha of 1 behind every <c>a + b</c>) in its
/// finalizer, which can run under a native call still reading it once another thread allocates
/// (dotnet/TorchSharp#1496; see the README). A cached scalar is never finalized, so the forward passes that use
/// these are safe on a server without the opt-in patch; the arithmetic is the same op with the same values.
/// </summary>
public static class CachedScalars
{
    static readonly ConcurrentDictionary<double, Scalar> Doubles = new();
    static readonly ConcurrentDictionary<long, Scalar> Longs = new();

    /// <summary>1.0, the alpha of a plain addition.</summary>
    public static Scalar One => Of(1.0);

    public static Scalar Of(double value) => Doubles.GetOrAdd(value, v => v.ToScalar());
    public static Scalar Of(long value) => Longs.GetOrAdd(value, v => v.ToScalar());

    /// <summary><paramref name="a"/> + <paramref name="b"/> (broadcasting) with a cached alpha.</summary>
    public static Tensor Add(Tensor a, Tensor b) => a.add(b, One);

    /// <summary>0, 1, …, <paramref name="count"/> − 1 as int64, from cached bounds (count ≤ the model's positions).</summary>
    public static Tensor Positions(long count, Device device) => arange(Of(0L), Of(count), Of(1L), int64, device);
}
