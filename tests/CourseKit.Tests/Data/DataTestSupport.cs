using System.Collections.Concurrent;
using CourseKit.Data;

namespace CourseKit.Tests.Data;

/// <summary>The shared data mirror the loaders are checked against.</summary>
static class DataTestSupport
{
    /// <summary><see cref="TestPaths.SharedDatasets"/>; fails the test when it is absent (CI has it).</summary>
    public static string SharedDatasets
    {
        get
        {
            var path = TestPaths.SharedDatasets;
            if (!Directory.Exists(path))
                Assert.Fail($"The shared data mirror {path} is missing: these tests need ../shared/datasets next to the repository (or $COURSEKIT_DATA_MIRROR).");
            return path;
        }
    }
}

/// <summary>Temp folders for one test (xunit disposes the test class after each test), deleted afterwards: the data
/// copies add up to megabytes per run.</summary>
sealed class Scratch : IDisposable
{
    readonly ConcurrentBag<string> _dirs = new();

    public string NewDir(string prefix)
    {
        var dir = TestPaths.NewTempDir(prefix);
        _dirs.Add(dir);
        return dir;
    }

    /// <summary>The embedded registry with an empty temp cache and, optionally, the repo's committed datasets.</summary>
    public DataRegistry TempRegistry(bool withCommitted = false) =>
        new(DataRegistry.LoadEmbedded(), NewDir("coursekit-data-cache"), withCommitted ? TestPaths.InRepo("datasets") : null);

    /// <summary>A mirror folder holding a copy of one shared data set.</summary>
    public string MirrorWith(string dataset)
    {
        var mirror = NewDir("coursekit-data-mirror");
        var from = Path.Combine(DataTestSupport.SharedDatasets, dataset);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(mirror, dataset, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        return mirror;
    }

    public string WriteFile(string name, string content, System.Text.Encoding? encoding = null)
    {
        var path = Path.Combine(NewDir("coursekit-data-file"), name);
        File.WriteAllText(path, content, encoding ?? new System.Text.UTF8Encoding(false));
        return path;
    }

    public void Dispose()
    {
        foreach (var dir in _dirs)
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Read-only temp caches filled from the shared mirror, one per data set, shared by a test class.</summary>
public sealed class SharedDataFixture : IDisposable
{
    readonly Scratch _scratch = new();
    readonly ConcurrentDictionary<string, Lazy<DataRegistry>> _fetched = new();

    /// <summary>A registry whose temp cache holds <paramref name="dataset"/>, copied (and verified) from the mirror.</summary>
    public DataRegistry With(string dataset) =>
        _fetched.GetOrAdd(dataset, name => new Lazy<DataRegistry>(() =>
        {
            var registry = _scratch.TempRegistry();
            new DataFetcher(registry).Fetch(name, DataTestSupport.SharedDatasets);
            return registry;
        })).Value;

    public void Dispose() => _scratch.Dispose();
}
