namespace CourseKit.Data;

/// <summary>A data set whose files are all on this machine (from <see cref="DataRegistry.Require"/>).</summary>
public sealed class LocalDataset
{
    readonly IReadOnlyDictionary<string, string> _paths;

    internal LocalDataset(DatasetInfo info, IReadOnlyDictionary<string, string> paths)
    {
        Info = info;
        _paths = paths;
    }

    public DatasetInfo Info { get; }
    public string Name => Info.Name;

    /// <summary>Full path of a registered file, e.g. <c>File("iob2/test.txt")</c>.</summary>
    public string File(string relativePath) => _paths[Info.GetFile(relativePath).Path];
}
