using System.Text;
using System.Text.Json;

namespace CourseKit.Checkpoints;

/// <summary>
/// A parsed and fully validated safetensors header: every entry lies inside the data buffer, has the byte length
/// its dtype and shape call for, and the entries tile the buffer from 0 to its end with no gap and no overlap.
/// </summary>
public sealed class SafeTensorsHeader
{
    /// <summary>The reference implementation's limit on the header size.</summary>
    public const long MaxHeaderBytes = 100_000_000;
    public const string MetadataKey = "__metadata__";

    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    SafeTensorsHeader(IReadOnlyList<SafeTensorsEntry> entries, IReadOnlyDictionary<string, string> metadata)
    {
        Entries = entries;
        Metadata = metadata;
    }

    /// <summary>Entries in data-buffer order.</summary>
    public IReadOnlyList<SafeTensorsEntry> Entries { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>
    /// Parses the length prefix given the file length: returns the header length N after checking that
    /// 8 + N fits in the file and N is at most <see cref="MaxHeaderBytes"/>.
    /// </summary>
    public static long CheckHeaderLength(string path, ReadOnlySpan<byte> prefix, long fileLength)
    {
        if (fileLength < 8)
            throw new SafeTensorsFormatException(path, null, $"file is {fileLength} bytes, shorter than the 8-byte header-length prefix");
        ulong n = BitConverter.ToUInt64(prefix[..8]);
        if (!BitConverter.IsLittleEndian) n = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(n);
        if (n > MaxHeaderBytes)
            throw new SafeTensorsFormatException(path, null, $"header length {n} is over the {MaxHeaderBytes}-byte limit (a corrupt or foreign file)");
        if ((long)n > fileLength - 8)
            throw new SafeTensorsFormatException(path, null, $"header length {n} runs past the end of the file ({fileLength} bytes: at most {fileLength - 8} bytes of header)");
        if (n < 2)
            throw new SafeTensorsFormatException(path, null, $"header length {n} is too small for a JSON object");
        return (long)n;
    }

    /// <summary>Parses and validates the JSON header bytes against a data buffer of <paramref name="dataLength"/> bytes.</summary>
    public static SafeTensorsHeader Parse(string path, ReadOnlySpan<byte> headerBytes, long dataLength)
    {
        string text;
        try { text = StrictUtf8.GetString(headerBytes); }
        catch (DecoderFallbackException e)
        {
            throw new SafeTensorsFormatException(path, null, $"header is not valid UTF-8 (bad byte at header offset {e.Index})", e);
        }

        JsonDocument doc;
        try { doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 16 }); }
        catch (JsonException e)
        {
            throw new SafeTensorsFormatException(path, null, $"header is not valid JSON: {e.Message}", e);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new SafeTensorsFormatException(path, null, $"header is a JSON {root.ValueKind}, not an object");

            var seen = new HashSet<string>(StringComparer.Ordinal);
            var entries = new List<SafeTensorsEntry>();
            IReadOnlyDictionary<string, string> metadata = new Dictionary<string, string>();
            foreach (var property in root.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                    throw new SafeTensorsFormatException(path, property.Name == MetadataKey ? null : property.Name,
                        property.Name == MetadataKey ? $"'{MetadataKey}' appears more than once in the header" : "name appears more than once in the header");
                if (property.Name == MetadataKey)
                    metadata = ParseMetadata(path, property.Value);
                else
                    entries.Add(ParseEntry(path, property.Name, property.Value, dataLength));
            }
            CheckTiling(path, entries, dataLength);
            return new SafeTensorsHeader(entries, metadata);
        }
    }

    static Dictionary<string, string> ParseMetadata(string path, JsonElement value)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (value.ValueKind == JsonValueKind.Null) return metadata;
        if (value.ValueKind != JsonValueKind.Object)
            throw new SafeTensorsFormatException(path, null, $"'{MetadataKey}' is a JSON {value.ValueKind}, not an object of strings");
        foreach (var p in value.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String)
                throw new SafeTensorsFormatException(path, null, $"'{MetadataKey}' value for key '{p.Name}' is a JSON {p.Value.ValueKind}, not a string");
            if (!metadata.TryAdd(p.Name, p.Value.GetString()!))
                throw new SafeTensorsFormatException(path, null, $"'{MetadataKey}' key '{p.Name}' appears more than once");
        }
        return metadata;
    }

    static SafeTensorsEntry ParseEntry(string path, string name, JsonElement value, long dataLength)
    {
        SafeTensorsFormatException Bad(string problem) => new(path, name, problem);

        if (value.ValueKind != JsonValueKind.Object)
            throw Bad($"entry is a JSON {value.ValueKind}, not an object with dtype, shape and data_offsets");
        JsonElement? dtypeEl = null, shapeEl = null, offsetsEl = null;
        foreach (var p in value.EnumerateObject())
        {
            ref JsonElement? slot = ref dtypeEl;
            switch (p.Name)
            {
                case "dtype": slot = ref dtypeEl; break;
                case "shape": slot = ref shapeEl; break;
                case "data_offsets": slot = ref offsetsEl; break;
                default: continue; // the reference reader ignores unknown fields
            }
            if (slot is not null) throw Bad($"key '{p.Name}' appears more than once");
            slot = p.Value;
        }
        if (dtypeEl is null) throw Bad("missing 'dtype'");
        if (shapeEl is null) throw Bad("missing 'shape'");
        if (offsetsEl is null) throw Bad("missing 'data_offsets'");

        if (dtypeEl.Value.ValueKind != JsonValueKind.String) throw Bad($"'dtype' is a JSON {dtypeEl.Value.ValueKind}, not a string");
        var dtypeName = dtypeEl.Value.GetString()!;
        var dtype = SafeTensorsDTypes.Parse(dtypeName)
            ?? throw Bad($"unknown dtype '{dtypeName}' (known: {string.Join(", ", Enum.GetNames<SafeTensorsDType>())})");

        if (shapeEl.Value.ValueKind != JsonValueKind.Array) throw Bad($"'shape' is a JSON {shapeEl.Value.ValueKind}, not an array");
        var shape = new List<long>();
        long elements = 1;
        foreach (var d in shapeEl.Value.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var dim))
                throw Bad($"shape dimension {shape.Count} is {d.GetRawText()}, not an integer");
            if (dim < 0) throw Bad($"shape dimension {shape.Count} is negative ({dim})");
            shape.Add(dim);
            if (dim != 0 && elements > long.MaxValue / dim)
                throw Bad($"shape [{string.Join(", ", shapeEl.Value.EnumerateArray().Select(x => x.GetRawText()))}] has more elements than fit in 64 bits");
            elements *= dim;
        }

        if (offsetsEl.Value.ValueKind != JsonValueKind.Array || offsetsEl.Value.GetArrayLength() != 2)
            throw Bad($"'data_offsets' is {offsetsEl.Value.GetRawText()}, not [begin, end]");
        var offs = new long[2];
        for (int i = 0; i < 2; i++)
        {
            var o = offsetsEl.Value[i];
            if (o.ValueKind != JsonValueKind.Number || !o.TryGetInt64(out offs[i]) || offs[i] < 0)
                throw Bad($"'data_offsets' entry {o.GetRawText()} is not a non-negative 64-bit integer");
        }
        var (begin, end) = (offs[0], offs[1]);
        if (begin > end) throw Bad($"data_offsets [{begin}, {end}] begin after they end");
        if (end > dataLength)
            throw Bad($"data_offsets [{begin}, {end}] run past the end of the data buffer ({dataLength} bytes)");

        int size = dtype.Size();
        if (elements > long.MaxValue / size)
            throw Bad($"shape [{string.Join(", ", shape)}] of {dtype} needs more bytes than fit in 64 bits");
        long expected = elements * size;
        if (end - begin != expected)
            throw Bad($"{dtype}[{string.Join(", ", shape)}] needs {expected} bytes ({elements} x {size}) but data_offsets [{begin}, {end}] hold {end - begin}");

        return new SafeTensorsEntry(name, dtype, shape.ToArray(), begin, end);
    }

    /// <summary>The spec requires the entries to cover the data buffer exactly: sorted by offset, each starts where the previous ended.</summary>
    static void CheckTiling(string path, List<SafeTensorsEntry> entries, long dataLength)
    {
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin)
            : a.End != b.End ? a.End.CompareTo(b.End) : string.CompareOrdinal(a.Name, b.Name));
        long position = 0;
        SafeTensorsEntry? previous = null;
        foreach (var e in entries)
        {
            if (e.Begin < position)
                throw new SafeTensorsFormatException(path, e.Name,
                    $"data_offsets [{e.Begin}, {e.End}] overlap tensor '{previous!.Name}' at [{previous.Begin}, {previous.End}]");
            if (e.Begin > position)
                throw new SafeTensorsFormatException(path, e.Name, previous is null
                    ? $"data_offsets [{e.Begin}, {e.End}] leave a hole: bytes [0, {e.Begin}) of the data buffer belong to no tensor"
                    : $"data_offsets [{e.Begin}, {e.End}] leave a hole: bytes [{position}, {e.Begin}) after tensor '{previous.Name}' belong to no tensor");
            position = e.End;
            previous = e;
        }
        if (position != dataLength)
            throw new SafeTensorsFormatException(path, previous?.Name,
                $"the data buffer has {dataLength - position} trailing bytes [{position}, {dataLength}) that belong to no tensor");
    }
}
