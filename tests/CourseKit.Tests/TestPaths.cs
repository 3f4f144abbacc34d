namespace CourseKit.Tests;

/// <summary>Where tests find the repository and its files, wherever the test host runs from (<see cref="CoursePaths"/>).</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = CoursePaths.RepoRoot
        ?? throw new InvalidOperationException($"{CoursePaths.SolutionFile} not found above {Directory.GetCurrentDirectory()} or {AppContext.BaseDirectory}");

    /// <summary>The shared data mirror: $COURSEKIT_DATA_MIRROR (<see cref="CoursePaths.DataMirror"/>) when set, as for
    /// tests/run.sh, else &lt;repo&gt;/../shared/datasets.</summary>
    public static string SharedDatasets => CoursePaths.DataMirror ?? Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "datasets"));

    public static string InRepo(params string[] parts) => Path.Combine(new[] { RepoRoot }.Concat(parts).ToArray());

    /// <summary>A fresh empty folder under the system temp folder.</summary>
    public static string NewTempDir(string prefix = "coursekit-test")
    {
        var dir = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }
}
