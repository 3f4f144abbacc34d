using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace CourseKit.Data;

/// <summary>The registered data sets and where their files are on this machine: committed under
/// <see cref="CommittedRoot"/> (<c>datasets/&lt;name&gt;/...</c>) or downloaded under <see cref="CacheRoot"/>
/// (<c>&lt;cache&gt;/&lt;name&gt;/...</c>, the same shape as a mirror).</summary>
public sealed class DataRegistry
{
    static readonly Lazy<DataRegistry> DefaultInstance = new(() =>
        new DataRegistry(LoadEmbedded(), CoursePaths.DataCache, CoursePaths.CommittedData) { FetchesMissing = true });

    // Files already hash-checked in this process, keyed by path, size and write time.
    static readonly ConcurrentDictionary<string, bool> VerifiedOnce = new();

    readonly Dictionary<string, DatasetInfo> _byName;

    /// <summary>The embedded registry, with the cache from $COURSEKIT_DATA (or the repo's datasets/.cache); it fetches a
    /// missing data set on first use (<see cref="FetchesMissing"/>).</summary>
    public static DataRegistry Default => DefaultInstance.Value;

    public IReadOnlyList<DatasetInfo> Datasets { get; }
    public string CacheRoot { get; }
    public string? CommittedRoot { get; }

    /// <summary>When true, <see cref="Require"/> fills the cache for a data set that is not there yet: copied from
    /// <see cref="Mirror"/> when it holds the data set, else downloaded from the public URLs (a progress line while
    /// it runs), so a chapter or verb run first on a fresh clone does not stop at "not available". Off for registries
    /// built by hand (tests with temp folders), which then throw <see cref="DatasetMissingException"/>.</summary>
    public bool FetchesMissing { get; init; }

    /// <summary>The local mirror <see cref="Require"/> fetches from (null: <see cref="CoursePaths.DataMirror"/>,
    /// read at fetch time).</summary>
    public string? Mirror { get; init; }

    // One fetch at a time per registry: two loaders asking for the same set do not download it twice.
    readonly object _fetchLock = new();

    public DataRegistry(IReadOnlyList<DatasetInfo> datasets, string cacheRoot, string? committedRoot)
    {
        Datasets = datasets;
        CacheRoot = Path.GetFullPath(cacheRoot);
        CommittedRoot = committedRoot is null ? null : Path.GetFullPath(committedRoot);
        _byName = datasets.ToDictionary(d => d.Name, StringComparer.Ordinal);
    }

    public DatasetInfo Get(string name) =>
        _byName.TryGetValue(name, out var info)
            ? info
            : throw new ArgumentException(
                $"Unknown dataset '{name}'. Registered: {string.Join(", ", _byName.Keys)}.", nameof(name));

    public string CachePath(string dataset, string relativePath) => Combine(CacheRoot, dataset, relativePath);

    public string? CommittedPath(string dataset, string relativePath) =>
        CommittedRoot is null ? null : Combine(CommittedRoot, dataset, relativePath);

    /// <summary>Where a file is (committed copy first, then the cache) and which of the two, or Missing.</summary>
    public (string? Path, FileState State) Locate(string dataset, DatasetFile file)
    {
        if (CommittedPath(dataset, file.Path) is { } committed && File.Exists(committed))
            return (committed, FileState.Committed);
        var cached = CachePath(dataset, file.Path);
        return File.Exists(cached) ? (cached, FileState.Cached) : (null, FileState.Missing);
    }

    /// <summary>The data set's files on this machine, fetched first when absent and <see cref="FetchesMissing"/>;
    /// throws <see cref="DatasetMissingException"/> (with the fetch command) when any is still absent. With <paramref name="verifyHashes"/> every file is hashed once per process and a
    /// mismatch throws <see cref="ChecksumMismatchException"/>.</summary>
    public LocalDataset Require(string name, bool verifyHashes = false)
    {
        var info = Get(name);
        var (paths, missing) = LocateAll(info);
        if (missing.Count > 0 && FetchesMissing)
        {
            FetchMissing(name, missing);
            (paths, missing) = LocateAll(info);
        }
        if (missing.Count > 0) throw new DatasetMissingException(name, missing, CacheRoot);
        if (verifyHashes)
            foreach (var file in info.Files) VerifyOnce(paths[file.Path], file.Sha256);
        return new LocalDataset(info, paths);
    }

    (Dictionary<string, string> Paths, List<string> Missing) LocateAll(DatasetInfo info)
    {
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var file in info.Files)
        {
            var (path, _) = Locate(info.Name, file);
            if (path is null) missing.Add(file.Path);
            else paths[file.Path] = path;
        }
        return (paths, missing);
    }

    /// <summary>Fills the cache for <paramref name="name"/> (see <see cref="FetchesMissing"/>); a failure becomes a
    /// <see cref="DatasetMissingException"/> that says what was tried.</summary>
    void FetchMissing(string name, IReadOnlyList<string> missing)
    {
        lock (_fetchLock)
        {
            if (LocateAll(Get(name)).Missing.Count == 0) return; // another thread fetched it meanwhile
            var mirror = Mirror ?? CoursePaths.DataMirror;
            // A mirror that lacks this set (a partial copy) is skipped in favour of the public URLs.
            var source = mirror is not null && Directory.Exists(Path.Combine(mirror, name)) ? mirror : null;
            try
            {
                new DataFetcher(this).Fetch(name, source);
            }
            catch (Exception e) when (e is IOException or HttpRequestException or InvalidDataException or TaskCanceledException or UnauthorizedAccessException)
            {
                var from = source is null ? "its public URLs" : $"the mirror {source}";
                throw new DatasetMissingException(name, missing, CacheRoot, $"fetching it from {from} failed: {e.Message}", e);
            }
        }
    }

    /// <summary>True when every file of the data set is present (hashes not checked).</summary>
    public bool IsAvailable(string name) => Get(name).Files.All(f => Locate(name, f).Path is not null);

    /// <summary>Hashes every file of the data set and says what state each one is in.</summary>
    public IReadOnlyList<FileCheck> Check(string name)
    {
        var info = Get(name);
        var checks = new List<FileCheck>();
        foreach (var file in info.Files)
        {
            var (path, state) = Locate(name, file);
            if (path is null)
            {
                checks.Add(new FileCheck(name, file, null, FileState.Missing, null));
                continue;
            }
            var actual = FileHash.Sha256(path);
            checks.Add(new FileCheck(name, file, path, actual == file.Sha256 ? state : FileState.Corrupt, actual));
        }
        return checks;
    }

    /// <summary>One word for a whole data set: corrupt if any file is, else missing if any is, else committed when
    /// all files are committed, else cached.</summary>
    public static DatasetState Summarize(IReadOnlyList<FileCheck> checks)
    {
        if (checks.Any(c => c.State == FileState.Corrupt)) return DatasetState.Corrupt;
        if (checks.Any(c => c.State == FileState.Missing)) return DatasetState.Missing;
        return checks.All(c => c.State == FileState.Committed) ? DatasetState.Committed : DatasetState.Cached;
    }

    public static IReadOnlyList<DatasetInfo> LoadEmbedded()
    {
        using var stream = typeof(DataRegistry).Assembly.GetManifestResourceStream("CourseKit.Data.registry.json")
            ?? throw new InvalidOperationException("Embedded resource CourseKit.Data.registry.json is missing from the CourseKit assembly.");
        return Parse(stream);
    }

    static readonly JsonSerializerOptions JsonOptions = new() { PropertyNameCaseInsensitive = true };
    static readonly Regex Sha256Hex = new("^[0-9a-f]{64}$");

    /// <summary>Reads and validates a registry document (<c>{"version":1,"datasets":[...]}</c>).</summary>
    public static IReadOnlyList<DatasetInfo> Parse(Stream json)
    {
        var doc = JsonSerializer.Deserialize<RegistryDocument>(json, JsonOptions)
            ?? throw new InvalidDataException("The data registry is empty.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var d in doc.Datasets)
        {
            if (string.IsNullOrWhiteSpace(d.Name) || !seen.Add(d.Name))
                throw new InvalidDataException($"Data registry: empty or duplicate dataset name '{d.Name}'.");
            if (d.License is null || string.IsNullOrWhiteSpace(d.License.Id))
                throw new InvalidDataException($"Data registry: dataset '{d.Name}' has no license.");
            if (d.Files is null || d.Files.Count == 0)
                throw new InvalidDataException($"Data registry: dataset '{d.Name}' has no files.");
            foreach (var f in d.Files)
            {
                var where = $"Data registry: {d.Name}/{f.Path}";
                if (string.IsNullOrWhiteSpace(f.Path) || Path.IsPathRooted(f.Path) || f.Path.Split('/').Contains(".."))
                    throw new InvalidDataException($"{where}: the path must be relative and stay inside the dataset folder.");
                if (f.Sha256 is null || !Sha256Hex.IsMatch(f.Sha256))
                    throw new InvalidDataException($"{where}: sha256 must be 64 lowercase hex digits, got '{f.Sha256}'.");
                if (f.Size <= 0) throw new InvalidDataException($"{where}: size must be positive.");
                if (f.Urls is null || f.Urls.Count == 0 || f.Urls.Any(u => !IsHttpUrl(u)))
                    throw new InvalidDataException($"{where}: needs at least one http(s) download URL.");
            }
        }
        return doc.Datasets;
    }

    static bool IsHttpUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);

    static string Combine(string root, string dataset, string relativePath) =>
        Path.Combine(root, dataset, relativePath.Replace('/', Path.DirectorySeparatorChar));

    static void VerifyOnce(string path, string expected)
    {
        var info = new FileInfo(path);
        var key = $"{info.FullName}|{info.Length}|{info.LastWriteTimeUtc.Ticks}|{expected}";
        if (VerifiedOnce.ContainsKey(key)) return;
        var actual = FileHash.Sha256(path);
        if (actual != expected) throw new ChecksumMismatchException(path, expected, actual);
        VerifiedOnce[key] = true;
    }

    sealed record RegistryDocument(int Version, IReadOnlyList<DatasetInfo> Datasets);
}
