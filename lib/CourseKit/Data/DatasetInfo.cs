using System.Text.Json.Serialization;

namespace CourseKit.Data;

/// <summary>One registered data set: what it is, its license, and the files that make it up.</summary>
public sealed record DatasetInfo(
    string Name,
    string Description,
    string Homepage,
    DatasetLicense License,
    string Citation,
    [property: JsonPropertyName("committed")] bool IsCommitted,
    IReadOnlyList<DatasetFile> Files)
{
    public long TotalBytes => Files.Sum(f => f.Size);

    /// <summary>The registered file at <paramref name="relativePath"/> ('/'-separated, as in the registry).</summary>
    public DatasetFile GetFile(string relativePath)
    {
        var normalized = relativePath.Replace('\\', '/');
        return Files.FirstOrDefault(f => f.Path == normalized)
            ?? throw new ArgumentException(
                $"Dataset '{Name}' has no file '{relativePath}'. Its files: {string.Join(", ", Files.Select(f => f.Path))}.",
                nameof(relativePath));
    }
}

/// <summary>A data set's license: a short id, what it allows, and whether the files may be committed to this repository.</summary>
public sealed record DatasetLicense(string Id, string Summary, bool Redistributable);

/// <summary>One file of a data set, relative to the data set's folder, with its size, sha256 and public download URLs.</summary>
/// <remarks>A URL with a fragment (<c>https://host/x.zip#folder/file.txt</c>) names a member of a zip archive.</remarks>
public sealed record DatasetFile(string Path, long Size, string Sha256, IReadOnlyList<string> Urls);
