using System.Text;
using CourseKit.Checkpoints;
using CourseKit.Native;
using static CourseKit.Tests.Checkpoints.SafeTensorsBytes;

namespace CourseKit.Tests.Checkpoints;

[KeepTensorsAlive]
public class SafeTensorsMalformedTests : IDisposable
{
    readonly string _dir = TestPaths.NewTempDir();
    public SafeTensorsMalformedTests() => TorchRuntime.Initialize();
    public void Dispose() => Directory.Delete(_dir, true);

    static string Entry(string name, string dtype, string shape, long begin, long end) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":[{begin},{end}]}}";

    SafeTensorsFormatException Refused(byte[] bytes, string? tensor, params string[] phrases)
    {
        var path = Write(_dir, $"bad-{Guid.NewGuid():N}.safetensors", bytes);
        var e = Assert.Throws<SafeTensorsFormatException>(() => { using var f = SafeTensorsFile.Open(path); });
        Assert.Equal(path, e.FilePath);
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Equal(tensor, e.TensorName);
        if (tensor is not null) Assert.Contains($"tensor '{tensor}'", e.Message);
        foreach (var p in phrases) Assert.Contains(p, e.Message);
        return e;
    }

    [Fact]
    public void Truncated_below_8_bytes() => Refused(new byte[] { 16, 0, 0, 0, 0 }, null, "5 bytes", "shorter than the 8-byte");

    [Fact]
    public void Empty_file() => Refused(Array.Empty<byte>(), null, "0 bytes");

    [Fact]
    public void Header_length_past_end_of_file()
    {
        var good = File("{" + Entry("a", "F32", "[2]", 0, 8) + "}", F32(1, 2));
        var tampered = good.ToArray();
        var n = BitConverter.ToUInt64(good, 0);
        BitConverter.GetBytes(n + 200).CopyTo(tampered, 0); // the length now runs past the file
        Refused(tampered, null, "runs past the end of the file", $"{good.Length} bytes");
    }

    [Fact]
    public void Header_truncated_mid_way() =>
        Refused(File("{" + Entry("a", "F32", "[2]", 0, 8) + "}", F32(1, 2))[..30], null, "runs past the end of the file");

    [Fact]
    public void Absurd_header_length() =>
        Refused(File(Encoding.UTF8.GetBytes("{}      "), Array.Empty<byte>(), headerLengthOverride: 1UL << 40), null, "over the 100000000-byte limit");

    [Fact]
    public void Header_length_with_top_bit_set() =>
        Refused(File(Encoding.UTF8.GetBytes("{}      "), Array.Empty<byte>(), headerLengthOverride: ulong.MaxValue), null, "over the");

    [Fact]
    public void Header_not_utf8()
    {
        var header = Encoding.UTF8.GetBytes("{\"a\xFF\":1}   ".Replace('\xFF', '?'));
        header[3] = 0xFF;
        Refused(File(header, Array.Empty<byte>()), null, "not valid UTF-8");
    }

    [Fact]
    public void Bad_json() => Refused(File("{\"a\": {\"dtype\": ", Array.Empty<byte>()), null, "not valid JSON");

    [Fact]
    public void Header_is_not_an_object() => Refused(File("[1, 2, 3]", Array.Empty<byte>()), null, "not an object");

    [Fact]
    public void Entry_missing_data_offsets() =>
        Refused(File("{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", F32(1, 2)), "w", "missing 'data_offsets'");

    [Fact]
    public void Entry_missing_dtype() =>
        Refused(File("{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", F32(1, 2)), "w", "missing 'dtype'");

    [Fact]
    public void Entry_not_an_object() => Refused(File("{\"w\":[1,2]}", Array.Empty<byte>()), "w", "not an object");

    [Fact]
    public void Shape_of_wrong_type() =>
        Refused(File("{\"w\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}}", F32(1, 2)), "w", "'shape'", "not an array");

    [Fact]
    public void Fractional_shape_dimension() =>
        Refused(File("{" + Entry("w", "F32", "[2.5]", 0, 8) + "}", F32(1, 2)), "w", "2.5", "not an integer");

    [Fact]
    public void Dtype_of_wrong_type() =>
        Refused(File("{\"w\":{\"dtype\":4,\"shape\":[2],\"data_offsets\":[0,8]}}", F32(1, 2)), "w", "'dtype'", "not a string");

    [Fact]
    public void Unknown_dtype() => Refused(File("{" + Entry("w", "F128", "[2]", 0, 8) + "}", F32(1, 2)), "w", "unknown dtype 'F128'");

    [Fact]
    public void Lower_case_dtype_is_unknown() => Refused(File("{" + Entry("w", "f32", "[2]", 0, 8) + "}", F32(1, 2)), "w", "unknown dtype 'f32'");

    [Fact]
    public void Negative_dimension() => Refused(File("{" + Entry("w", "F32", "[-2]", 0, 8) + "}", F32(1, 2)), "w", "negative");

    [Fact]
    public void Shape_whose_product_overflows() =>
        Refused(File("{" + Entry("w", "F32", "[4294967296,4294967296]", 0, 8) + "}", F32(1, 2)), "w", "64 bits");

    [Fact]
    public void Shape_whose_byte_count_overflows() =>
        Refused(File("{" + Entry("w", "F64", "[2305843009213693952]", 0, 8) + "}", F32(1, 2)), "w", "64 bits");

    [Fact]
    public void Offsets_out_of_range() =>
        Refused(File("{" + Entry("w", "F32", "[250]", 0, 1000) + "}", F32(1, 2)), "w", "[0, 1000]", "past the end of the data buffer (8 bytes)");

    [Fact]
    public void Negative_offset() =>
        Refused(File("{" + Entry("w", "F32", "[2]", -8, 0) + "}", F32(1, 2)), "w", "not a non-negative");

    [Fact]
    public void Offsets_of_wrong_arity() =>
        Refused(File("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4,8]}}", F32(1, 2)), "w", "not [begin, end]");

    [Fact]
    public void Begin_after_end() => Refused(File("{" + Entry("w", "F32", "[2]", 8, 0) + "}", F32(1, 2)), "w", "[8, 0]", "begin after");

    [Fact]
    public void Byte_length_does_not_match_dtype_and_shape() =>
        Refused(File("{" + Entry("w", "F32", "[2,2]", 0, 12) + "}", F32(1, 2, 3)), "w", "needs 16 bytes", "hold 12");

    [Fact]
    public void Overlapping_tensors() =>
        Refused(File("{" + Entry("a", "F32", "[4]", 0, 16) + "," + Entry("b", "F32", "[4]", 8, 24) + "}", F32(1, 2, 3, 4, 5, 6)),
            "b", "overlap tensor 'a'");

    [Fact]
    public void Hole_between_tensors() =>
        Refused(File("{" + Entry("a", "F32", "[2]", 0, 8) + "," + Entry("b", "F32", "[2]", 16, 24) + "}", F32(1, 2, 3, 4, 5, 6)),
            "b", "hole", "[8, 16)", "after tensor 'a'");

    [Fact]
    public void Hole_at_start() =>
        Refused(File("{" + Entry("a", "F32", "[2]", 8, 16) + "}", F32(1, 2, 3, 4)), "a", "hole", "[0, 8)");

    [Fact]
    public void Trailing_bytes_not_covered() =>
        Refused(File("{" + Entry("a", "F32", "[2]", 0, 8) + "}", F32(1, 2, 3, 4)), "a", "8 trailing bytes");

    [Fact]
    public void Duplicate_tensor_name() =>
        Refused(File("{" + Entry("w", "F32", "[2]", 0, 8) + "," + Entry("w", "F32", "[2]", 8, 16) + "}", F32(1, 2, 3, 4)),
            "w", "more than once");

    [Fact]
    public void Duplicate_key_inside_an_entry() =>
        Refused(File("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]}}", F32(1, 2)), "w", "'dtype' appears more than once");

    [Fact]
    public void Metadata_with_non_string_value() =>
        Refused(File("{\"__metadata__\":{\"step\":12}," + Entry("w", "F32", "[2]", 0, 8) + "}", F32(1, 2)), null, "'step'", "not a string");

    [Fact]
    public void Bool_byte_other_than_0_or_1_is_refused_on_read()
    {
        var path = Write(_dir, "bools.safetensors", File("{" + Entry("m", "BOOL", "[3]", 0, 3) + "}", new byte[] { 1, 0, 7 }));
        using var f = SafeTensorsFile.Open(path);
        var e = Assert.Throws<SafeTensorsFormatException>(() => f.ReadTensor("m"));
        Assert.Equal("m", e.TensorName);
        Assert.Contains("element 2 is byte 7", e.Message);
    }

    [Fact]
    public void Dtype_without_torch_equivalent_is_listed_but_not_read()
    {
        var path = Write(_dir, "u16.safetensors", File("{" + Entry("u", "U16", "[2]", 0, 4) + "}", new byte[] { 1, 0, 2, 0 }));
        using var f = SafeTensorsFile.Open(path);
        Assert.Equal(SafeTensorsDType.U16, Assert.Single(f.Entries).DType);
        var e = Assert.Throws<NotSupportedException>(() => f.ReadTensor("u"));
        Assert.Contains("'u'", e.Message);
    }
}
