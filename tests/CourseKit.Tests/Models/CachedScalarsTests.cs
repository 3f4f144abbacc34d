using CourseKit.Models;
using CourseKit.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tests.Models;

/// <summary>The cached-scalar forms used on the inference path compute the same values as the plain operators.</summary>
[KeepTensorsAlive]
public sealed class CachedScalarsTests
{
    public CachedScalarsTests() => TorchRuntime.Initialize();

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.BFloat16)]
    [InlineData(ScalarType.Float64)]
    public void Additive_mask_equals_one_minus_mask_times_the_dtypes_minimum(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var mask = randint(0, 2, [3, 7], dtype: int64);
        var expected = (1.0 - mask.to_type(dtype).unsqueeze(1).unsqueeze(2)) * finfo(dtype).min;
        var actual = BertModel.AdditiveMask(mask, dtype);
        Assert.Equal(dtype, actual.dtype);
        Assert.True(expected.eq(actual).all().item<bool>());
        Assert.True(actual.min().to_type(ScalarType.Float64).item<double>() < -1e30);
    }

    [Fact]
    public void Add_div_and_positions_equal_the_operators()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        var a = randn(4, 5, 6);
        var b = randn(5, 6);
        Assert.True((a + b).eq(CachedScalars.Add(a, b)).all().item<bool>());
        Assert.True((a / Math.Sqrt(6)).eq(a.div(CachedScalars.Of(Math.Sqrt(6)))).all().item<bool>());
        Assert.True(arange(9, dtype: int64).eq(CachedScalars.Positions(9, CPU)).all().item<bool>());
        Assert.Same(CachedScalars.Of(0.125), CachedScalars.Of(0.125));
    }
}
