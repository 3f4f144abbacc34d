using System.Globalization;
using System.Text;
using System.Text.Json;
using CourseKit.Checkpoints;
using CourseKit.Native;
using TorchSharp;
using static TorchSharp.torch;
using static CourseKit.Tests.Checkpoints.SafeTensorsBytes;

namespace CourseKit.Tests.Checkpoints;

/// <summary>
/// Byte-level compatibility: files built by hand here, byte vectors published in the reference implementation's own
/// unit tests (huggingface/safetensors, safetensors/src/tensor.rs), and a fixture made by an independent Python
/// writer (tests/fixtures/safetensors/make_fixture.py).
/// </summary>
[KeepTensorsAlive]
public class SafeTensorsReferenceLayoutTests
{
    public SafeTensorsReferenceLayoutTests() => TorchRuntime.Initialize();

    [Fact]
    public void Hand_built_file_reads_correctly()
    {
        // Deliberately not in the writer's order, with a 0-d tensor and a zero-length one sharing an offset.
        var header = "{\"b\":{\"dtype\":\"I32\",\"shape\":[3],\"data_offsets\":[16,28]},"
                   + "\"__metadata__\":{\"who\":\"hand\"},"
                   + "\"a\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[8,16]},"
                   + "\"z\":{\"dtype\":\"F64\",\"shape\":[0],\"data_offsets\":[28,28]},"
                   + "\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[4,8]},"
                   + "\"m\":{\"dtype\":\"BOOL\",\"shape\":[4],\"data_offsets\":[0,4]}}";
        var data = Bool(true, false, true, true).Concat(F32(-3.5f)).Concat(BF16(1f, 2f, -0.25f, 1024f)).Concat(I32(7, -8, 9)).ToArray();
        var dir = TestPaths.NewTempDir();
        var path = Write(dir, "hand.safetensors", File(header, data, pad: false));

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal("hand", file.Metadata["who"]);
        Assert.Equal(new[] { "m", "s", "a", "b", "z" }, file.Names); // data order
        using var m = file.ReadTensor("m");
        using var s = file.ReadTensor("s");
        using var a = file.ReadTensor("a");
        using var b = file.ReadTensor("b");
        using var z = file.ReadTensor("z");
        Assert.Equal(new[] { true, false, true, true }, m.data<bool>().ToArray());
        Assert.Empty(s.shape);
        Assert.Equal(-3.5f, s.item<float>());
        Assert.Equal(ScalarType.BFloat16, a.dtype);
        Assert.Equal(new long[] { 2, 2 }, a.shape);
        Assert.Equal(new[] { 1f, 2f, -0.25f, 1024f }, a.to(ScalarType.Float32).data<float>().ToArray());
        Assert.Equal(new[] { 7, -8, 9 }, b.data<int>().ToArray());
        Assert.Equal(new long[] { 0 }, z.shape);
        Assert.Equal(ScalarType.Float64, z.dtype);
        Directory.Delete(dir, true);
    }

    // The next three are the reference's test_serialization, test_serialization_forced_alignement and test_empty.
    [Fact]
    public void Writer_matches_reference_vector_for_one_F32_tensor()
    {
        using var t = tensor(new[] { 0f, 1f, 2f, 3f, 4f, 5f }, new long[] { 1, 2, 3 });
        var expected = new byte[]
        {
            64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
            116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
            58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
            101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
            0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
        };
        Assert.Equal(expected, SafeTensorsWriter.Serialize(new Dictionary<string, Tensor> { ["attn.0"] = t }));
    }

    [Fact]
    public void Writer_pads_header_with_spaces_like_the_reference()
    {
        using var t = tensor(new[] { 0f, 1f, 2f, 3f, 4f, 5f }, new long[] { 1, 1, 2, 3 });
        var expected = new byte[]
        {
            72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116,
            121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58,
            91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102,
            115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32,
            32, 32, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0,
            160, 64,
        };
        Assert.Equal(expected, SafeTensorsWriter.Serialize(new Dictionary<string, Tensor> { ["attn0"] = t }));
    }

    [Fact]
    public void Writer_matches_reference_vectors_for_empty_files()
    {
        var none = new Dictionary<string, Tensor>();
        Assert.Equal(new byte[] { 8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32 }, SafeTensorsWriter.Serialize(none));
        var expected = new byte[]
        {
            40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
            95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
            116, 34, 125, 125, 32, 32, 32, 32, 32,
        };
        Assert.Equal(expected, SafeTensorsWriter.Serialize(none, new Dictionary<string, string> { ["framework"] = "pt" }));
    }

    static string FixturePath(string name) => TestPaths.InRepo("tests", "fixtures", "safetensors", name);

    static (JsonElement Tensors, Dictionary<string, string> Metadata) Expected()
    {
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(FixturePath("mixed.expected.json")));
        var root = doc.RootElement.Clone();
        var meta = root.GetProperty("metadata").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        return (root.GetProperty("tensors"), meta);
    }

    /// <summary>The fixture's expected values, encoded to bytes here with BitConverter.</summary>
    static byte[] ExpectedBytes(string dtype, string[] v) => dtype switch
    {
        "F32" => F32(v.Select(x => float.Parse(x, CultureInfo.InvariantCulture)).ToArray()),
        "F16" => F16(v.Select(x => float.Parse(x, CultureInfo.InvariantCulture)).ToArray()),
        "BF16" => BF16(v.Select(x => float.Parse(x, CultureInfo.InvariantCulture)).ToArray()),
        "F64" => F64(v.Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray()),
        "I64" => I64(v.Select(long.Parse).ToArray()),
        "I32" => I32(v.Select(int.Parse).ToArray()),
        "I16" => I16(v.Select(short.Parse).ToArray()),
        "I8" => I8(v.Select(sbyte.Parse).ToArray()),
        "U8" => v.Select(byte.Parse).ToArray(),
        "BOOL" => v.Select(x => x == "1" ? (byte)1 : x == "0" ? (byte)0 : throw new FormatException(x)).ToArray(),
        _ => throw new ArgumentException(dtype),
    };

    [Fact]
    public void Reads_the_python_fixture_exactly()
    {
        var (tensors, meta) = Expected();
        using var file = SafeTensorsFile.Open(FixturePath("mixed.safetensors"));
        Assert.Equal(meta, file.Metadata);
        Assert.Equal(tensors.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal), file.Names.Order(StringComparer.Ordinal));
        Assert.Contains("café \"quoted\"", file.Names);
        foreach (var p in tensors.EnumerateObject())
        {
            var dtype = p.Value.GetProperty("dtype").GetString()!;
            var shape = p.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var values = p.Value.GetProperty("values").EnumerateArray().Select(d => d.GetString()!).ToArray();
            using var t = file.ReadTensor(p.Name);
            Assert.Equal(SafeTensorsDTypes.Parse(dtype)!.Value.ToScalarType(), t.dtype);
            Assert.Equal(shape, t.shape);
            Assert.True(ExpectedBytes(dtype, values).AsSpan().SequenceEqual(t.bytes), $"bytes of {p.Name}");
        }
    }

    [Fact]
    public void Writer_output_is_byte_identical_to_the_python_fixture()
    {
        var (tensors, meta) = Expected();
        var dict = new Dictionary<string, Tensor>();
        foreach (var p in tensors.EnumerateObject())
        {
            var dtype = SafeTensorsDTypes.Parse(p.Value.GetProperty("dtype").GetString()!)!.Value;
            var shape = p.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var values = p.Value.GetProperty("values").EnumerateArray().Select(d => d.GetString()!).ToArray();
            // Build each tensor from its bytes: empty(...) then fill its storage.
            var t = empty(shape, dtype.ToScalarType()!.Value);
            ExpectedBytes(dtype.ToString(), values).CopyTo(t.bytes);
            dict[p.Name] = t;
        }
        var ours = SafeTensorsWriter.Serialize(dict, meta);
        var theirs = System.IO.File.ReadAllBytes(FixturePath("mixed.safetensors"));
        Assert.Equal(Encoding.UTF8.GetString(theirs, 8, (int)BitConverter.ToUInt64(theirs, 0)),
                     Encoding.UTF8.GetString(ours, 8, (int)BitConverter.ToUInt64(ours, 0)));
        Assert.Equal(theirs, ours);
        foreach (var t in dict.Values) t.Dispose();
    }
}
