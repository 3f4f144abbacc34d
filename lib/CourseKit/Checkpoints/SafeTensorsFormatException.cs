namespace CourseKit.Checkpoints;

/// <summary>A .safetensors file (or header) that breaks the format. The message names the file, the tensor when there is one, and what is wrong.</summary>
public sealed class SafeTensorsFormatException : Exception
{
    public SafeTensorsFormatException(string path, string? tensorName, string problem, Exception? inner = null)
        : base(Compose(path, tensorName, problem), inner)
    {
        FilePath = path;
        TensorName = tensorName;
        Problem = problem;
    }

    public string FilePath { get; }
    public string? TensorName { get; }
    public string Problem { get; }

    static string Compose(string path, string? tensorName, string problem) =>
        tensorName is null ? $"{path}: {problem}" : $"{path}: tensor '{tensorName}': {problem}";
}
