using Microsoft.Win32.SafeHandles;
using static TorchSharp.torch;

namespace CourseKit.Checkpoints;

/// <summary>
/// An open .safetensors file: the header is read and validated on <see cref="Open"/>; tensor data is read only when
/// asked for (<see cref="ReadTensor"/>, <see cref="LoadAll"/>), by positioned reads, so a large file is never read whole.
/// </summary>
public sealed class SafeTensorsFile : IDisposable
{
    const int ChunkBytes = 1 << 26;
    readonly SafeFileHandle _handle;
    readonly Dictionary<string, SafeTensorsEntry> _byName;
    readonly long _dataStart;

    SafeTensorsFile(string path, SafeFileHandle handle, SafeTensorsHeader header, long dataStart)
    {
        Path = path;
        _handle = handle;
        _dataStart = dataStart;
        Entries = header.Entries;
        Metadata = header.Metadata;
        _byName = header.Entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
    }

    public string Path { get; }
    /// <summary>The tensors, in data-buffer order.</summary>
    public IReadOnlyList<SafeTensorsEntry> Entries { get; }
    /// <summary>The "__metadata__" map (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }
    public IEnumerable<string> Names => Entries.Select(e => e.Name);
    public bool Contains(string name) => _byName.ContainsKey(name);

    public SafeTensorsEntry GetEntry(string name) =>
        _byName.TryGetValue(name, out var e) ? e
            : throw new KeyNotFoundException($"{Path}: no tensor named '{name}' (the file has {Entries.Count}: {string.Join(", ", Entries.Take(10).Select(x => x.Name))}{(Entries.Count > 10 ? ", ..." : "")})");

    /// <summary>Opens and validates <paramref name="path"/>; throws <see cref="SafeTensorsFormatException"/> for any malformed file.</summary>
    public static SafeTensorsFile Open(string path)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        try
        {
            long length = RandomAccess.GetLength(handle);
            Span<byte> prefix = stackalloc byte[8];
            ReadExactly(path, handle, prefix[..(int)Math.Min(8, length)], 0, null);
            long n = SafeTensorsHeader.CheckHeaderLength(path, prefix, length);
            var headerBytes = new byte[n];
            ReadExactly(path, handle, headerBytes, 8, null);
            var header = SafeTensorsHeader.Parse(path, headerBytes, length - 8 - n);
            return new SafeTensorsFile(path, handle, header, 8 + n);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Reads every tensor of <paramref name="path"/> into CPU tensors.</summary>
    public static Dictionary<string, Tensor> Load(string path)
    {
        using var file = Open(path);
        return file.LoadAll();
    }

    /// <summary>Writes <paramref name="tensors"/> (and optional metadata) atomically, in the reference layout (see <see cref="SafeTensorsWriter"/>).</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafeTensorsWriter.Save(path, tensors, metadata);

    /// <summary>Reads one tensor into a new CPU tensor of its dtype and shape.</summary>
    public Tensor ReadTensor(string name)
    {
        var entry = GetEntry(name);
        var scalarType = entry.DType.ToScalarType()
            ?? throw new NotSupportedException($"{Path}: tensor '{name}': dtype {entry.DType} has no TorchSharp element type");
        var result = empty(entry.Shape.ToArray(), scalarType);
        try
        {
            long n = result.numel();
            if (n > 0)
            {
                using var flat = result.view(-1);
                long perChunk = Math.Max(1, ChunkBytes / entry.DType.Size());
                for (long start = 0; start < n; start += perChunk)
                {
                    long count = Math.Min(perChunk, n - start);
                    using var piece = flat.narrow(0, start, count);
                    var span = piece.bytes;
                    ReadExactly(Path, _handle, span, _dataStart + entry.Begin + start * entry.DType.Size(), name);
                    if (entry.DType == SafeTensorsDType.BOOL) CheckBools(span, name, start);
                }
            }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>Reads every tensor, by name.</summary>
    public Dictionary<string, Tensor> LoadAll()
    {
        var all = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var e in Entries) all[e.Name] = ReadTensor(e.Name);
            return all;
        }
        catch
        {
            foreach (var t in all.Values) t.Dispose();
            throw;
        }
    }

    public void Dispose() => _handle.Dispose();

    void CheckBools(ReadOnlySpan<byte> span, string name, long firstElement)
    {
        int bad = span.IndexOfAnyExcept((byte)0, (byte)1);
        if (bad >= 0)
            throw new SafeTensorsFormatException(Path, name, $"BOOL element {firstElement + bad} is byte {span[bad]}, not 0 or 1");
    }

    static void ReadExactly(string path, SafeFileHandle handle, Span<byte> buffer, long offset, string? tensor)
    {
        int done = 0;
        while (done < buffer.Length)
        {
            int got = RandomAccess.Read(handle, buffer[done..], offset + done);
            if (got == 0)
                throw new SafeTensorsFormatException(path, tensor, $"file ended at byte {offset + done} while reading {buffer.Length} bytes at {offset} (was it changed after opening?)");
            done += got;
        }
    }
}
