namespace CourseKit.Data;

/// <summary>Where one file is and whether its bytes are right.</summary>
public enum FileState { Committed, Cached, Missing, Corrupt }

/// <summary>One word for a whole data set, as printed by <c>course data list</c>.</summary>
public enum DatasetState { Committed, Cached, Missing, Corrupt }

/// <summary>The result of hashing one registered file: its path when present and the sha256 found.</summary>
public sealed record FileCheck(string Dataset, DatasetFile File, string? Path, FileState State, string? ActualSha256)
{
    public bool IsOk => State is FileState.Committed or FileState.Cached;
}
