using CourseKit.Data;

namespace CourseKit.Tests.Data;

/// <summary>A registry that fetches missing data sets on first use (as <see cref="DataRegistry.Default"/> does), so a
/// chapter run first on a fresh clone does not stop at "not available".</summary>
[KeepTensorsAlive]
public class AutoFetchTests : IDisposable
{
    readonly Scratch _scratch = new();
    public void Dispose() => _scratch.Dispose();

    DataRegistry FetchingRegistry(string mirror) =>
        new(DataRegistry.LoadEmbedded(), _scratch.NewDir("coursekit-data-cache"), null) { FetchesMissing = true, Mirror = mirror };

    [Fact]
    public void Require_copies_a_missing_set_from_the_mirror_into_an_empty_cache()
    {
        var mirror = _scratch.MirrorWith("financial-phrasebank");
        var registry = FetchingRegistry(mirror);
        Assert.False(registry.IsAvailable("financial-phrasebank"));

        var local = registry.Require("financial-phrasebank", verifyHashes: true);

        Assert.True(registry.IsAvailable("financial-phrasebank"));
        Assert.All(local.Info.Files, f => Assert.StartsWith(registry.CacheRoot, local.File(f.Path)));
        Assert.Equal(DatasetState.Cached, DataRegistry.Summarize(registry.Check("financial-phrasebank")));
    }

    [Fact]
    public void A_failed_fetch_is_a_missing_dataset_that_says_what_was_tried()
    {
        var mirror = _scratch.MirrorWith("sst2-glue");
        File.AppendAllText(Path.Combine(mirror, "sst2-glue", "dev.tsv"), "tampered\t1\n");
        var registry = FetchingRegistry(mirror);

        var ex = Assert.Throws<DatasetMissingException>(() => registry.Require("sst2-glue"));

        Assert.Contains("fetching it from the mirror", ex.Message);
        Assert.IsType<ChecksumMismatchException>(ex.InnerException);
        Assert.False(File.Exists(Path.Combine(registry.CacheRoot, "sst2-glue", "dev.tsv")));
    }

    [Fact]
    public void A_registry_built_by_hand_does_not_fetch()
    {
        var registry = new DataRegistry(DataRegistry.LoadEmbedded(), _scratch.NewDir("coursekit-data-cache"), null) { Mirror = DataTestSupport.SharedDatasets };
        Assert.False(registry.FetchesMissing);
        Assert.Throws<DatasetMissingException>(() => registry.Require("tiny-shakespeare"));
        Assert.False(registry.IsAvailable("tiny-shakespeare"));
    }

    [Fact]
    public void The_default_registry_fetches_and_the_mirror_defaults_to_shared_datasets_beside_the_repo()
    {
        Assert.True(DataRegistry.Default.FetchesMissing);
        if (Environment.GetEnvironmentVariable(CoursePaths.DataMirrorVariable) is { Length: > 0 }) return; // the variable wins; checked elsewhere
        var beside = Path.GetFullPath(Path.Combine(TestPaths.RepoRoot, "..", "shared", "datasets"));
        Assert.Equal(Directory.Exists(beside) ? beside : null, CoursePaths.DataMirror);
    }
}
