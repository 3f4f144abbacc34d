namespace CourseKit.Data;

/// <summary>Where the repository, the committed data sets and the download cache are.</summary>
public static class DataPaths
{
    public const string CacheVariable = "COURSEKIT_DATA";
    public const string MirrorVariable = "COURSEKIT_DATA_MIRROR";

    /// <summary>The folder holding Course.sln, searched upwards from the current directory and then from the
    /// application's folder; null outside a checkout.</summary>
    public static string? FindRepoRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Course.sln"))) return dir.FullName;
        return null;
    }

    /// <summary><c>&lt;repo&gt;/datasets</c>, where openly licensed sets are committed; null outside a checkout.</summary>
    public static string? DefaultCommittedRoot() =>
        FindRepoRoot() is { } repo ? Path.Combine(repo, "datasets") : null;

    /// <summary>$COURSEKIT_DATA, else <c>&lt;repo&gt;/datasets/.cache</c>, else <c>~/.cache/coursekit/data</c>.</summary>
    public static string DefaultCacheRoot()
    {
        var fromEnv = Environment.GetEnvironmentVariable(CacheVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv)) return Path.GetFullPath(fromEnv);
        if (FindRepoRoot() is { } repo) return Path.Combine(repo, "datasets", ".cache");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(home, ".cache", "coursekit", "data");
    }

    /// <summary>$COURSEKIT_DATA_MIRROR when set: a folder shaped like <c>&lt;name&gt;/&lt;files&gt;</c>.</summary>
    public static string? DefaultMirror()
    {
        var fromEnv = Environment.GetEnvironmentVariable(MirrorVariable);
        return string.IsNullOrWhiteSpace(fromEnv) ? null : Path.GetFullPath(fromEnv);
    }
}
