using System.IO.Compression;
using CourseKit.Reporting;

namespace CourseKit.Data;

/// <summary>How one file was obtained by <see cref="DataFetcher"/>.</summary>
public enum FetchAction { AlreadyCommitted, AlreadyCached, Copied, Downloaded }

public sealed record FetchedFile(string RelativePath, string Destination, FetchAction Action, string? Source);

public sealed record FetchResult(string Dataset, IReadOnlyList<FetchedFile> Files)
{
    /// <summary>True when nothing had to be copied or downloaded.</summary>
    public bool WasUpToDate => Files.All(f => f.Action is FetchAction.AlreadyCommitted or FetchAction.AlreadyCached);
}

/// <summary>Fills the cache: copies a data set from a mirror folder (<c>&lt;mirror&gt;/&lt;name&gt;/...</c>) or downloads it
/// from its public URLs. Every file is hashed while it is written to a temp file next to its destination and renamed
/// into place only when the sha256 matches, so the cache never holds a partial or wrong file.</summary>
public sealed class DataFetcher
{
    static readonly Lazy<HttpClient> SharedHttp = new(() =>
    {
        var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
        http.DefaultRequestHeaders.UserAgent.ParseAdd("CourseKit-data/1.0");
        return http;
    });

    readonly DataRegistry _registry;
    readonly HttpClient _http;

    public DataFetcher(DataRegistry registry, HttpClient? http = null)
    {
        _registry = registry;
        _http = http ?? SharedHttp.Value;
    }

    /// <summary>Copies the data set from <paramref name="mirror"/> when given, else downloads it. Files already
    /// present with the right hash are left alone unless <paramref name="force"/>.</summary>
    public FetchResult Fetch(string name, string? mirror = null, bool force = false)
    {
        var info = _registry.Get(name);
        var results = new List<FetchedFile>();
        using var progress = Reporter.StartProgress($"fetch {name} from {mirror ?? "its public URLs"}", info.Files.Count);
        using var archives = new ArchiveCache(_http);
        foreach (var file in info.Files)
        {
            results.Add(FetchFile(info, file, mirror, force, archives));
            progress.Report(results.Count, file.Path);
        }
        return new FetchResult(name, results);
    }

    FetchedFile FetchFile(DatasetInfo info, DatasetFile file, string? mirror, bool force, ArchiveCache archives)
    {
        var destination = _registry.CachePath(info.Name, file.Path);
        if (!force)
        {
            if (_registry.CommittedPath(info.Name, file.Path) is { } committed && HasHash(committed, file.Sha256))
                return new FetchedFile(file.Path, committed, FetchAction.AlreadyCommitted, null);
            if (HasHash(destination, file.Sha256))
                return new FetchedFile(file.Path, destination, FetchAction.AlreadyCached, null);
        }

        var label = $"{info.Name}/{file.Path}";
        if (mirror is not null)
        {
            var source = Path.GetFullPath(Path.Combine(mirror, info.Name, file.Path.Replace('/', Path.DirectorySeparatorChar)));
            if (!File.Exists(source))
                throw new FileNotFoundException($"{label} is not in the mirror: {source} does not exist.", source);
            WriteVerified(() => File.OpenRead(source), destination, file.Sha256, $"{label} (from {source})");
            return new FetchedFile(file.Path, destination, FetchAction.Copied, source);
        }

        var failures = new List<Exception>();
        foreach (var url in file.Urls)
        {
            try
            {
                WriteVerified(() => archives.Open(url), destination, file.Sha256, $"{label} (from {url})");
                return new FetchedFile(file.Path, destination, FetchAction.Downloaded, url);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidDataException or TaskCanceledException)
            {
                failures.Add(ex);
            }
        }
        // A wrong hash says more than a network error, so it is the one reported when both happened.
        var mismatch = failures.OfType<ChecksumMismatchException>().FirstOrDefault();
        if (mismatch is not null) throw mismatch;
        throw new IOException($"Could not download {label}: {string.Join(" | ", failures.Select(f => f.Message))}", failures.LastOrDefault());
    }

    static bool HasHash(string path, string sha256) => File.Exists(path) && FileHash.Sha256(path) == sha256;

    /// <summary>Writes the stream to a temp file beside <paramref name="destination"/>, checks its sha256 and renames
    /// it into place; on any failure the temp file is deleted and the destination is left as it was.</summary>
    public static void WriteVerified(Func<Stream> open, string destination, string expectedSha256, string label)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        var temp = $"{destination}.partial-{Guid.NewGuid():N}";
        try
        {
            string actual;
            using (var source = open())
            using (var target = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                actual = FileHash.CopyAndHash(source, target);
            if (actual != expectedSha256) throw new ChecksumMismatchException(label, expectedSha256, actual);
            File.Move(temp, destination, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Opens plain URLs as response streams and <c>archive.zip#member</c> URLs as zip entries, downloading
    /// each archive once per fetch into a temp file.</summary>
    sealed class ArchiveCache(HttpClient http) : IDisposable
    {
        readonly Dictionary<string, string> _downloaded = new();

        public Stream Open(string url)
        {
            var hash = url.IndexOf('#');
            if (hash < 0) return Get(url);
            var (archiveUrl, member) = (url[..hash], Uri.UnescapeDataString(url[(hash + 1)..]));
            if (!_downloaded.TryGetValue(archiveUrl, out var zipPath))
            {
                zipPath = Path.Combine(Path.GetTempPath(), $"coursekit-archive-{Guid.NewGuid():N}.zip");
                using (var body = Get(archiveUrl))
                using (var file = File.Create(zipPath))
                    body.CopyTo(file);
                _downloaded[archiveUrl] = zipPath;
            }
            var zip = ZipFile.OpenRead(zipPath);
            var entry = zip.GetEntry(member);
            if (entry is null)
            {
                zip.Dispose();
                throw new FileNotFoundException($"{archiveUrl} has no member '{member}'.");
            }
            return new OwningStream(entry.Open(), zip);
        }

        Stream Get(string url)
        {
            var response = http.Send(new HttpRequestMessage(HttpMethod.Get, url), HttpCompletionOption.ResponseHeadersRead);
            if (!response.IsSuccessStatusCode)
            {
                response.Dispose();
                throw new HttpRequestException($"GET {url} returned {(int)response.StatusCode} {response.ReasonPhrase}.");
            }
            return new OwningStream(response.Content.ReadAsStream(), response);
        }

        public void Dispose()
        {
            foreach (var path in _downloaded.Values)
                if (File.Exists(path)) File.Delete(path);
        }
    }

    /// <summary>A read stream that also disposes what it came from (an HTTP response, a zip archive).</summary>
    sealed class OwningStream(Stream inner, IDisposable owner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                owner.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
