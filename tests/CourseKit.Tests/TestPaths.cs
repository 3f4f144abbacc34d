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

    /// <summary>A fresh empty folder under this test process's temp root (<see cref="TempRoot"/>).</summary>
    public static string NewTempDir(string prefix = "coursekit-test")
    {
        var dir = Path.Combine(TempRoot, $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>One folder per test process, <c>$TMP/coursekit-tests-PID</c>, deleted when the process exits; roots
    /// left by test processes that died are deleted when the next one starts. Before this, every run left its folders
    /// behind (a chapter 04 test alone leaves 350 MB), and repeated local runs filled the disk.</summary>
    public static string TempRoot => Root.Value;

    static readonly Lazy<string> Root = new(() =>
    {
        foreach (var stale in Directory.GetDirectories(Path.GetTempPath(), "coursekit-tests-*"))
            if (int.TryParse(Path.GetFileName(stale)["coursekit-tests-".Length..], out var pid) && !IsRunning(pid)) TryDelete(stale);
        var root = Path.Combine(Path.GetTempPath(), $"coursekit-tests-{Environment.ProcessId}");
        Directory.CreateDirectory(root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(root);
        return root;
    });

    static bool IsRunning(int pid)
    {
        try { using var process = System.Diagnostics.Process.GetProcessById(pid); return !process.HasExited; }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
