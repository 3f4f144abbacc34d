namespace CourseKit.Data;

/// <summary>The data folders; <see cref="CoursePaths"/> resolves them (kept for the data verbs that know this name; the repository root is <see cref="CoursePaths.RepoRoot"/>).</summary>
public static class DataPaths
{
    public const string CacheVariable = CoursePaths.DataCacheVariable;
    public const string MirrorVariable = CoursePaths.DataMirrorVariable;

    /// <summary>See <see cref="CoursePaths.CommittedData"/>.</summary>
    public static string? DefaultCommittedRoot() => CoursePaths.CommittedData;

    /// <summary>See <see cref="CoursePaths.DataCache"/>.</summary>
    public static string DefaultCacheRoot() => CoursePaths.DataCache;

    /// <summary>See <see cref="CoursePaths.DataMirror"/>.</summary>
    public static string? DefaultMirror() => CoursePaths.DataMirror;
}
