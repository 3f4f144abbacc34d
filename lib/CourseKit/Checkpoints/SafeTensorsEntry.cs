namespace CourseKit.Checkpoints;

/// <summary>One tensor described by a safetensors header. Begin/End are byte offsets into the data buffer (after the header).</summary>
public sealed record SafeTensorsEntry(string Name, SafeTensorsDType DType, IReadOnlyList<long> Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;
    public long ElementCount => Shape.Aggregate(1L, (n, d) => n * d);
    public override string ToString() => $"{Name}: {DType}[{string.Join(", ", Shape)}] @ [{Begin}, {End})";
}
