namespace CourseKit.Checkpoints;

/// <summary>What a .safetensors file holds, without reading its data: tensor count by dtype, values, bytes, metadata.</summary>
/// <param name="DTypes">dtype name and how many tensors have it, by name.</param>
/// <param name="Values">elements over all tensors (the parameter count when every tensor is a parameter).</param>
/// <param name="DataBytes">bytes of tensor data; <paramref name="FileBytes"/> adds the JSON header.</param>
public sealed record SafeTensorsSummary(
    string Path,
    int Tensors,
    IReadOnlyList<(string DType, int Count)> DTypes,
    long Values,
    long DataBytes,
    long FileBytes,
    IReadOnlyDictionary<string, string> Metadata)
{
    public static SafeTensorsSummary Of(SafeTensorsFile file) => new(
        file.Path,
        file.Entries.Count,
        file.Entries.GroupBy(e => e.DType.ToString()).OrderBy(g => g.Key).Select(g => (g.Key, g.Count())).ToList(),
        file.Entries.Sum(e => e.ElementCount),
        file.Entries.Sum(e => e.ByteLength),
        new FileInfo(file.Path).Length,
        file.Metadata);
}
