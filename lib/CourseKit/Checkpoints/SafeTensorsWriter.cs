using System.Globalization;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Checkpoints;

/// <summary>
/// Writes the safetensors layout byte-for-byte as the reference writer does: tensors ordered by dtype (widest
/// first, in the reference's dtype order) then by name (UTF-8 byte order), header entries in that same order with
/// "__metadata__" first, compact JSON, header padded with spaces to a multiple of 8 bytes, then the data back to back.
/// </summary>
public static class SafeTensorsWriter
{
    static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);
    const int ChunkBytes = 1 << 26;

    /// <summary>Writes <paramref name="tensors"/> (copied to contiguous CPU memory) to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var plan = Plan(tensors);
        var header = HeaderBytes(plan, metadata);
        Span<byte> prefix = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        foreach (var (_, _, tensor) in plan)
            WriteData(stream, tensor);
    }

    /// <summary>The whole file as bytes (for small tensor sets and tests).</summary>
    public static byte[] Serialize(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var ms = new MemoryStream();
        Write(ms, tensors, metadata);
        return ms.ToArray();
    }

    /// <summary>Writes the file atomically (see <see cref="AtomicFile"/>).</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var plan = Plan(tensors); // validate names and dtypes before touching the disk
        _ = HeaderBytes(plan, metadata);
        AtomicFile.Write(path, s => Write(s, tensors, metadata));
    }

    static List<(string Name, SafeTensorsDType DType, Tensor Tensor)> Plan(IReadOnlyDictionary<string, Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var plan = new List<(string Name, SafeTensorsDType DType, Tensor Tensor)>();
        foreach (var (name, tensor) in tensors)
        {
            if (name == SafeTensorsHeader.MetadataKey)
                throw new ArgumentException($"tensor name '{name}' is reserved for the metadata map", nameof(tensors));
            if (tensor is null) throw new ArgumentException($"tensor '{name}' is null", nameof(tensors));
            var dtype = SafeTensorsDTypes.FromScalarType(tensor.dtype)
                ?? throw new ArgumentException($"tensor '{name}' has element type {tensor.dtype}, which safetensors cannot store", nameof(tensors));
            Utf8(name, $"tensor name '{name}'");
            plan.Add((name, dtype, tensor));
        }
        plan.Sort((a, b) => a.DType != b.DType ? b.DType.CompareTo(a.DType) : CompareUtf8(a.Name, b.Name));
        return plan;
    }

    static byte[] HeaderBytes(List<(string Name, SafeTensorsDType DType, Tensor Tensor)> plan, IReadOnlyDictionary<string, string>? metadata)
    {
        var json = new StringBuilder("{");
        bool first = true;
        void Key(string key) { if (!first) json.Append(','); first = false; AppendJsonString(json, key); json.Append(':'); }

        if (metadata is not null)
        {
            Key(SafeTensorsHeader.MetadataKey);
            json.Append('{');
            bool firstMeta = true;
            foreach (var (k, v) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                if (v is null) throw new ArgumentException($"metadata value for '{k}' is null", nameof(metadata));
                Utf8(k, $"metadata key '{k}'");
                Utf8(v, $"metadata value for '{k}'");
                if (!firstMeta) json.Append(',');
                firstMeta = false;
                AppendJsonString(json, k);
                json.Append(':');
                AppendJsonString(json, v);
            }
            json.Append('}');
        }

        long offset = 0;
        foreach (var (name, dtype, tensor) in plan)
        {
            long bytes = tensor.numel() * dtype.Size();
            Key(name);
            json.Append("{\"dtype\":\"").Append(dtype.ToString()).Append("\",\"shape\":[")
                .AppendJoin(',', tensor.shape.Select(d => d.ToString(CultureInfo.InvariantCulture)))
                .Append("],\"data_offsets\":[").Append(offset.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append((offset + bytes).ToString(CultureInfo.InvariantCulture)).Append("]}");
            offset += bytes;
        }
        json.Append('}');

        var header = StrictUtf8.GetBytes(json.ToString());
        int padded = (header.Length + 7) / 8 * 8;
        if (padded == header.Length) return header;
        var result = new byte[padded];
        header.CopyTo(result, 0);
        result.AsSpan(header.Length).Fill((byte)' ');
        return result;
    }

    static void WriteData(Stream stream, Tensor tensor)
    {
        using var scope = NewDisposeScope();
        var flat = tensor.detach().cpu().contiguous().reshape(-1);
        long n = flat.numel();
        if (n == 0) return;
        long perChunk = Math.Max(1, ChunkBytes / flat.ElementSize);
        for (long start = 0; start < n; start += perChunk)
        {
            using var piece = flat.narrow(0, start, Math.Min(perChunk, n - start));
            stream.Write(piece.bytes);
        }
    }

    /// <summary>JSON string as serde_json writes it: only '"', '\\' and control characters are escaped; the rest is raw UTF-8.</summary>
    static void AppendJsonString(StringBuilder json, string s)
    {
        json.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                case '\b': json.Append("\\b"); break;
                case '\f': json.Append("\\f"); break;
                case '\n': json.Append("\\n"); break;
                case '\r': json.Append("\\r"); break;
                case '\t': json.Append("\\t"); break;
                default:
                    if (c < 0x20) json.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else json.Append(c);
                    break;
            }
        }
        json.Append('"');
    }

    static byte[] Utf8(string s, string what)
    {
        try { return StrictUtf8.GetBytes(s); }
        catch (EncoderFallbackException e) { throw new ArgumentException($"{what} is not valid Unicode (lone surrogate)", e); }
    }

    static int CompareUtf8(string a, string b) => StrictUtf8.GetBytes(a).AsSpan().SequenceCompareTo(StrictUtf8.GetBytes(b));
}
