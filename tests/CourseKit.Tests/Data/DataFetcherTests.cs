using System.CommandLine;
using CourseKit.Cli.Verbs;
using CourseKit.Data;

namespace CourseKit.Tests.Data;

[KeepTensorsAlive]
public class DataFetcherTests : IDisposable
{
    readonly Scratch _scratch = new();
    public void Dispose() => _scratch.Dispose();

    static string Sha256Hex(string path) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path))).ToLowerInvariant();

    [Fact]
    public void Mirror_copy_fills_the_cache_with_verified_files()
    {
        var registry = _scratch.TempRegistry();
        var result = new DataFetcher(registry).Fetch("sst2-glue", DataTestSupport.SharedDatasets);

        Assert.All(result.Files, f => Assert.Equal(FetchAction.Copied, f.Action));
        foreach (var file in registry.Get("sst2-glue").Files)
        {
            var cached = Path.Combine(registry.CacheRoot, "sst2-glue", file.Path);
            Assert.Equal(Sha256Hex(Path.Combine(DataTestSupport.SharedDatasets, "sst2-glue", file.Path)), Sha256Hex(cached));
        }
        Assert.Equal(DatasetState.Cached, DataRegistry.Summarize(registry.Check("sst2-glue")));
        Assert.Equal(Path.Combine(registry.CacheRoot, "sst2-glue", "dev.tsv"), registry.Require("sst2-glue").File("dev.tsv"));

        // A second fetch finds everything in place and copies nothing.
        Assert.True(new DataFetcher(registry).Fetch("sst2-glue", DataTestSupport.SharedDatasets).WasUpToDate);
    }

    [Fact]
    public void Nested_files_keep_the_mirror_layout()
    {
        var registry = _scratch.TempRegistry();
        new DataFetcher(registry).Fetch("conll2003", DataTestSupport.SharedDatasets);
        var path = registry.Require("conll2003").File("iob2/test.txt");
        Assert.Equal(Path.Combine(registry.CacheRoot, "conll2003", "iob2", "test.txt"), path);
        Assert.Equal(748_095, new FileInfo(path).Length);
    }

    [Fact]
    public void Tampered_mirror_file_fails_with_both_hashes_and_leaves_nothing_in_the_cache()
    {
        var mirror = _scratch.MirrorWith("sst2-glue");
        var tampered = Path.Combine(mirror, "sst2-glue", "dev.tsv");
        File.AppendAllText(tampered, "an extra line\t1\n");
        var actual = Sha256Hex(tampered);
        var registry = _scratch.TempRegistry();
        var expected = registry.Get("sst2-glue").GetFile("dev.tsv").Sha256;

        var ex = Assert.Throws<ChecksumMismatchException>(() => new DataFetcher(registry).Fetch("sst2-glue", mirror));

        Assert.Contains("sst2-glue/dev.tsv", ex.Message);
        Assert.Contains(expected, ex.Message);
        Assert.Contains(actual, ex.Message);
        var cacheDir = Path.Combine(registry.CacheRoot, "sst2-glue");
        var left = Directory.Exists(cacheDir) ? Directory.GetFiles(cacheDir).Select(Path.GetFileName).ToArray() : [];
        Assert.DoesNotContain("dev.tsv", left);
        Assert.DoesNotContain(left, name => name!.Contains(".partial"));
    }

    [Fact]
    public void Missing_dataset_throws_with_the_fetch_command()
    {
        var registry = _scratch.TempRegistry();
        var ex = Assert.Throws<DatasetMissingException>(() => registry.Require("conll2003").File("iob2/test.txt"));
        Assert.Equal("conll2003", ex.Dataset);
        Assert.Contains("dotnet run --project tools/CourseKit.Cli -- data fetch conll2003 --from ../shared/datasets", ex.Message);
        Assert.Contains("course data fetch conll2003", ex.Message);
        Assert.Contains("iob2/test.txt", ex.Message);
    }

    [Fact]
    public void Dataset_missing_from_the_mirror_is_reported_by_path()
    {
        var mirror = _scratch.MirrorWith("tiny-shakespeare");
        File.Delete(Path.Combine(mirror, "tiny-shakespeare", "input.txt"));
        var ex = Assert.Throws<FileNotFoundException>(() => new DataFetcher(_scratch.TempRegistry()).Fetch("tiny-shakespeare", mirror));
        Assert.Contains("tiny-shakespeare/input.txt", ex.Message);
    }

    [Fact]
    public void Verify_flags_a_corrupted_cached_file()
    {
        var registry = _scratch.TempRegistry(); // its own cache: this test corrupts it
        new DataFetcher(registry).Fetch("tiny-shakespeare", DataTestSupport.SharedDatasets);
        var cached = registry.Require("tiny-shakespeare").File("input.txt");
        Assert.Equal(DatasetState.Cached, DataRegistry.Summarize(registry.Check("tiny-shakespeare")));

        var bytes = File.ReadAllBytes(cached);
        bytes[1000] ^= 0x20; // same size, one letter's case flipped
        File.WriteAllBytes(cached, bytes);

        var check = Assert.Single(registry.Check("tiny-shakespeare"));
        Assert.Equal(FileState.Corrupt, check.State);
        Assert.Equal(DatasetState.Corrupt, DataRegistry.Summarize([check]));
        Assert.Throws<ChecksumMismatchException>(() => registry.Require("tiny-shakespeare", verifyHashes: true));

        var (code, output, error) = RunCli(registry, "verify", "tiny-shakespeare");
        Assert.Equal(1, code);
        Assert.Contains("CORRUPT", output);
        Assert.Contains("error:", error);
    }

    [Fact]
    public void Cli_fetch_all_from_mirror_then_list_and_verify_succeed()
    {
        var mirror = _scratch.MirrorWith("financial-phrasebank");
        var registry = _scratch.TempRegistry(withCommitted: true);

        var (code, output, _) = RunCli(registry, "fetch", "--all", "--from", mirror);
        Assert.Equal(0, code);
        Assert.Contains("financial-phrasebank: 6 copied", output);
        Assert.Contains("conll2003: not in the mirror", output);

        (code, output, _) = RunCli(registry, "list");
        Assert.Equal(0, code);
        var rows = output.Split('\n').Select(l => l.Split("  ", StringSplitOptions.RemoveEmptyEntries).Select(c => c.Trim()).ToArray()).ToList();
        Assert.Equal(["financial-phrasebank", "CC-BY-NC-SA-3.0", "6", "1.9 MiB", "cached"], rows.Single(r => r.FirstOrDefault() == "financial-phrasebank"));
        Assert.Equal("committed", rows.Single(r => r.FirstOrDefault() == "xquad").Last());
        Assert.Equal("missing", rows.Single(r => r.FirstOrDefault() == "conll2003").Last());

        Assert.Equal(0, RunCli(registry, "verify").Code);        // never-fetched sets are skipped...
        Assert.Equal(1, RunCli(registry, "verify", "--strict").Code); // ...unless --strict
        Assert.Equal(1, RunCli(registry, "verify", "conll2003").Code);
    }

    [Fact]
    public void Cli_fetch_of_an_unknown_dataset_fails_with_one_line()
    {
        var (code, _, error) = RunCli(_scratch.TempRegistry(), "fetch", "no-such-set", "--from", DataTestSupport.SharedDatasets);
        Assert.Equal(1, code);
        Assert.StartsWith("error: Unknown dataset 'no-such-set'", error);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    static (int Code, string Output, string Error) RunCli(DataRegistry registry, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = DataVerb.Create(registry).Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }
}
