using System.Text;
using CourseKit.Data;

namespace CourseKit.Tests.Data;

[KeepTensorsAlive]
public class DataRegistryTests : IDisposable
{
    readonly Scratch _scratch = new();
    public void Dispose() => _scratch.Dispose();

    static readonly string[] ExpectedNames =
    [
        "bert-vocab", "conll2003", "xquad", "movielens-ml-latest-small", "financial-phrasebank", "sst2-glue",
        "wikitext-2", "tiny-shakespeare",
    ];

    [Fact]
    public void Embedded_registry_lists_every_course_dataset_with_hash_license_and_url()
    {
        var datasets = DataRegistry.LoadEmbedded();
        Assert.Equal(ExpectedNames.OrderBy(n => n), datasets.Select(d => d.Name).OrderBy(n => n));
        foreach (var d in datasets)
        {
            Assert.False(string.IsNullOrWhiteSpace(d.License.Id), d.Name);
            Assert.False(string.IsNullOrWhiteSpace(d.License.Summary), d.Name);
            Assert.False(string.IsNullOrWhiteSpace(d.Citation), d.Name);
            Assert.NotEmpty(d.Files);
            foreach (var f in d.Files)
            {
                Assert.Matches("^[0-9a-f]{64}$", f.Sha256);
                Assert.True(f.Size > 0, $"{d.Name}/{f.Path}");
                Assert.NotEmpty(f.Urls);
                Assert.All(f.Urls, u => Assert.StartsWith("https://", u));
            }
        }
    }

    [Fact]
    public void Conll2003_registers_both_tagging_schemes()
    {
        var conll = DataRegistry.LoadEmbedded().Single(d => d.Name == "conll2003");
        Assert.Equal(
            new[] { "iob1_original/eng.testa", "iob1_original/eng.testb", "iob1_original/eng.train", "iob2/test.txt", "iob2/train.txt", "iob2/valid.txt" },
            conll.Files.Select(f => f.Path).OrderBy(p => p, StringComparer.Ordinal));
    }

    [Fact]
    public void Only_redistributable_datasets_are_marked_committed()
    {
        var datasets = DataRegistry.LoadEmbedded();
        Assert.Equal(
            new[] { "bert-vocab", "tiny-shakespeare", "wikitext-2", "xquad" },
            datasets.Where(d => d.IsCommitted).Select(d => d.Name).OrderBy(n => n));
        Assert.All(datasets.Where(d => d.IsCommitted), d => Assert.True(d.License.Redistributable, d.Name));
    }

    [Fact]
    public void Committed_datasets_are_in_the_repository_with_the_registered_hashes()
    {
        var registry = _scratch.TempRegistry(withCommitted: true);
        foreach (var d in registry.Datasets.Where(d => d.IsCommitted))
            foreach (var check in registry.Check(d.Name))
                Assert.True(check.State == FileState.Committed, $"{d.Name}/{check.File.Path} is {check.State} (sha256 {check.ActualSha256})");
        // The research-only and non-commercial sets must not be in the repository.
        foreach (var d in registry.Datasets.Where(d => !d.IsCommitted))
            Assert.False(Directory.Exists(TestPaths.InRepo("datasets", d.Name)), $"datasets/{d.Name} must not be committed");
    }

    [Fact]
    public void Registered_hashes_and_sizes_agree_with_the_shared_mirror_and_its_SOURCE_md()
    {
        var shared = DataTestSupport.SharedDatasets;
        foreach (var d in DataRegistry.LoadEmbedded())
        {
            var source = File.ReadAllText(Path.Combine(shared, d.Name, "SOURCE.md"));
            foreach (var f in d.Files)
            {
                var path = Path.Combine(shared, d.Name, f.Path);
                Assert.Equal(f.Size, new FileInfo(path).Length);
                Assert.Equal(f.Sha256, Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path))).ToLowerInvariant());
            }
            // SOURCE.md states the hash of the main files; every hash it names must be registered.
            var registered = d.Files.Select(f => f.Sha256).ToHashSet();
            foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(source, "\\b[0-9a-f]{64}\\b"))
                Assert.Contains(m.Value, registered);
        }
    }

    [Fact]
    public void Parse_rejects_an_entry_without_a_valid_sha256()
    {
        const string json = """
            {"version":1,"datasets":[{"name":"x","description":"d","homepage":"h","citation":"c","committed":false,
              "license":{"id":"MIT","summary":"s","redistributable":true},
              "files":[{"path":"a.txt","size":3,"sha256":"abc","urls":["https://example.org/a.txt"]}]}]}
            """;
        var ex = Assert.Throws<InvalidDataException>(() => DataRegistry.Parse(new MemoryStream(Encoding.UTF8.GetBytes(json))));
        Assert.Contains("x/a.txt", ex.Message);
        Assert.Contains("sha256", ex.Message);
    }

    [Fact]
    public void Unknown_file_of_a_dataset_is_named_in_the_error()
    {
        var local = _scratch.TempRegistry(withCommitted: true).Require("tiny-shakespeare");
        var ex = Assert.Throws<ArgumentException>(() => local.File("output.txt"));
        Assert.Contains("output.txt", ex.Message);
        Assert.Contains("input.txt", ex.Message);
    }

    [Fact]
    public void Cache_root_defaults_inside_the_repository()
    {
        if (Environment.GetEnvironmentVariable(DataPaths.CacheVariable) is { Length: > 0 }) return; // set by the user: their choice wins
        Assert.Equal(Path.Combine(TestPaths.RepoRoot, "datasets", ".cache"), DataPaths.DefaultCacheRoot());
    }
}
