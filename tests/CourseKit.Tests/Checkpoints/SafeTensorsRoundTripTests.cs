using CourseKit.Checkpoints;
using CourseKit.Native;
using TorchSharp;
using static TorchSharp.torch;
using static CourseKit.Tests.Checkpoints.SafeTensorsBytes;

namespace CourseKit.Tests.Checkpoints;

[KeepTensorsAlive]
public class SafeTensorsRoundTripTests
{
    public SafeTensorsRoundTripTests() => TorchRuntime.Initialize();

    /// <summary>(dtype, shape, tensor, the little-endian bytes it must hold, computed with BitConverter).</summary>
    public static IEnumerable<object[]> Cases()
    {
        TorchRuntime.Initialize(); // theory data is built before the class constructor runs
        return new[]
        {
        Case("F32", new long[] { 2, 3 }, tensor(new[] { 0f, 1.5f, -2.25f, 1e-7f, 3e38f, -0f }, new long[] { 2, 3 }), F32(0f, 1.5f, -2.25f, 1e-7f, 3e38f, -0f)),
        Case("F16", new long[] { 3 }, tensor(new[] { (Half)1.5f, (Half)(-2f), (Half)65504f }, new long[] { 3 }), F16(1.5f, -2f, 65504f)),
        Case("BF16", new long[] { 2, 2 }, tensor(new[] { 1f, -0.5f, 3.140625f, 256f }, new long[] { 2, 2 }).to(ScalarType.BFloat16), BF16(1f, -0.5f, 3.140625f, 256f)),
        Case("F64", new long[] { 2 }, tensor(new[] { 0.1, -1e-300 }, new long[] { 2 }), F64(0.1, -1e-300)),
        Case("I64", new long[] { 1, 3 }, tensor(new[] { 0L, 9007199254740993L, long.MinValue }, new long[] { 1, 3 }), I64(0L, 9007199254740993L, long.MinValue)),
        Case("I32", new long[] { 2, 2 }, tensor(new[] { 1, 1, 0, int.MinValue }, new long[] { 2, 2 }), I32(1, 1, 0, int.MinValue)),
        Case("I16", new long[] { 3 }, tensor(new short[] { -32768, 0, 32767 }, new long[] { 3 }), I16(-32768, 0, 32767)),
        Case("I8", new long[] { 2 }, tensor(new sbyte[] { -128, 127 }, new long[] { 2 }), I8(-128, 127)),
        Case("U8", new long[] { 4 }, tensor(new byte[] { 0, 1, 128, 255 }, new long[] { 4 }), new byte[] { 0, 1, 128, 255 }),
        Case("BOOL", new long[] { 2, 2 }, tensor(new[] { true, false, false, true }, new long[] { 2, 2 }), Bool(true, false, false, true)),
        Case("F32", Array.Empty<long>(), tensor(0.125f), F32(0.125f)),
        Case("I64", new long[] { 0, 3 }, zeros(new long[] { 0, 3 }, ScalarType.Int64), Array.Empty<byte>()),
        Case("F32", new long[] { 2, 0, 4 }, zeros(new long[] { 2, 0, 4 }), Array.Empty<byte>()),
        };
    }

    static object[] Case(string dtype, long[] shape, Tensor t, byte[] bytes) => new object[] { dtype, shape, t, bytes };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_dtype_round_trips_values_and_shape(string dtype, long[] shape, Tensor t, byte[] expectedBytes)
    {
        var dir = TestPaths.NewTempDir();
        var path = Path.Combine(dir, "t.safetensors");
        SafeTensorsFile.Save(path, new Dictionary<string, Tensor> { ["x"] = t });

        using var file = SafeTensorsFile.Open(path);
        var entry = Assert.Single(file.Entries);
        Assert.Equal(dtype, entry.DType.ToString());
        Assert.Equal(shape, entry.Shape);
        Assert.Equal(expectedBytes.Length, entry.ByteLength);
        using var back = file.ReadTensor("x");
        Assert.Equal(t.dtype, back.dtype);
        Assert.Equal(shape, back.shape);
        Assert.Equal(expectedBytes, back.bytes.ToArray());
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Values_survive_as_numbers_not_just_bytes()
    {
        var dir = TestPaths.NewTempDir();
        var path = Path.Combine(dir, "m.safetensors");
        using var w = arange(12, ScalarType.Float32).reshape(3, 4) / 8;
        using var h = w.to(ScalarType.Float16);
        SafeTensorsFile.Save(path, new Dictionary<string, Tensor> { ["w"] = w, ["h"] = h, ["wT"] = w.T });
        var all = SafeTensorsFile.Load(path);
        Assert.Equal(new[] { 0f, 0.125f, 0.25f, 0.375f }, all["w"][0].data<float>().ToArray());
        Assert.Equal(new long[] { 4, 3 }, all["wT"].shape);
        Assert.Equal(new[] { 0f, 0.5f, 1f }, all["wT"][0].data<float>().ToArray()); // a non-contiguous view was written in logical order
        Assert.Equal(new[] { 1f, 1.125f, 1.25f, 1.375f }, all["h"][2].to(ScalarType.Float32).data<float>().ToArray());
        foreach (var t in all.Values) t.Dispose();
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Metadata_round_trips_and_is_empty_when_absent()
    {
        var dir = TestPaths.NewTempDir();
        var with = Path.Combine(dir, "with.safetensors");
        var without = Path.Combine(dir, "without.safetensors");
        using var t = ones(2);
        var meta = new Dictionary<string, string> { ["format"] = "pt", ["step"] = "1200", ["note"] = "café \"q\" \\ \n\t\u0001 ok" };
        SafeTensorsFile.Save(with, new Dictionary<string, Tensor> { ["t"] = t }, meta);
        SafeTensorsFile.Save(without, new Dictionary<string, Tensor> { ["t"] = t });

        using (var f = SafeTensorsFile.Open(with)) Assert.Equal(meta.OrderBy(p => p.Key), f.Metadata.OrderBy(p => p.Key));
        using (var f = SafeTensorsFile.Open(without)) Assert.Empty(f.Metadata);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Open_lists_entries_without_loading_and_reads_one_by_name()
    {
        var dir = TestPaths.NewTempDir();
        var path = Path.Combine(dir, "lazy.safetensors");
        using var a = full(new long[] { 2, 2 }, 7f);
        using var b = arange(5, ScalarType.Int64);
        SafeTensorsFile.Save(path, new Dictionary<string, Tensor> { ["a"] = a, ["b"] = b });
        using var file = SafeTensorsFile.Open(path);
        // Reference layout: I64 (wider in the dtype order) before F32.
        Assert.Equal(new[] { "b", "a" }, file.Names);
        Assert.Equal(new SafeTensorsEntry("b", SafeTensorsDType.I64, new long[] { 5 }, 0, 40).ToString(), file.GetEntry("b").ToString());
        Assert.Equal(40, file.GetEntry("a").Begin);
        using var rb = file.ReadTensor("b");
        Assert.Equal(new long[] { 0, 1, 2, 3, 4 }, rb.data<long>().ToArray());
        var missing = Assert.Throws<KeyNotFoundException>(() => file.ReadTensor("c"));
        Assert.Contains("'c'", missing.Message);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Writer_refuses_complex_tensors_and_the_reserved_name()
    {
        using var c = zeros(2, ScalarType.ComplexFloat32);
        using var f = zeros(2);
        var e1 = Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Serialize(new Dictionary<string, Tensor> { ["z"] = c }));
        Assert.Contains("'z'", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Serialize(new Dictionary<string, Tensor> { ["__metadata__"] = f }));
        Assert.Contains("reserved", e2.Message);
    }
}
