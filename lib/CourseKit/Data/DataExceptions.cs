namespace CourseKit.Data;

/// <summary>A registered data set (or some of its files) is not on this machine.</summary>
public sealed class DatasetMissingException : FileNotFoundException
{
    public string Dataset { get; }
    public IReadOnlyList<string> MissingFiles { get; }
    /// <summary>The command that fills the cache from the shared mirror, run from the repository root.</summary>
    public string FetchCommand { get; }

    public DatasetMissingException(string dataset, IReadOnlyList<string> missingFiles, string cacheRoot)
        : this(dataset, missingFiles, cacheRoot, null, null) { }

    /// <summary>With <paramref name="fetchFailure"/>: what an automatic fetch tried and why it failed.</summary>
    public DatasetMissingException(string dataset, IReadOnlyList<string> missingFiles, string cacheRoot, string? fetchFailure, Exception? inner)
        : base(BuildMessage(dataset, missingFiles, cacheRoot) + (fetchFailure is null ? "" : $" ({fetchFailure})"), inner)
    {
        Dataset = dataset;
        MissingFiles = missingFiles;
        FetchCommand = MirrorFetchCommand(dataset);
    }

    public static string MirrorFetchCommand(string dataset) =>
        $"dotnet run --project tools/CourseKit.Cli -- data fetch {dataset} --from ../shared/datasets";

    static string BuildMessage(string dataset, IReadOnlyList<string> missing, string cacheRoot) =>
        $"Dataset '{dataset}' is not available: missing {string.Join(", ", missing)} under {Path.Combine(cacheRoot, dataset)}. " +
        $"Fetch it with: {MirrorFetchCommand(dataset)}   (or, with internet access: course data fetch {dataset})";
}

/// <summary>A file's bytes do not have the sha256 the registry expects.</summary>
public sealed class ChecksumMismatchException : IOException
{
    public string FilePath { get; }
    public string Expected { get; }
    public string Actual { get; }

    public ChecksumMismatchException(string filePath, string expected, string actual)
        : base($"Checksum mismatch for {filePath}: expected sha256 {expected}, got {actual}.")
    {
        FilePath = filePath;
        Expected = expected;
        Actual = actual;
    }
}

/// <summary>A data file does not have the expected format; the message names the file and the 1-based line.</summary>
public sealed class DataFormatException : FormatException
{
    public string FilePath { get; }
    public int Line { get; }

    public DataFormatException(string filePath, int line, string problem)
        : base($"{filePath}:{line}: {problem}")
    {
        FilePath = filePath;
        Line = line;
    }
}
