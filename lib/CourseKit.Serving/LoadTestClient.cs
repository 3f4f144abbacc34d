using System.Diagnostics;
using System.Net.Http.Headers;

namespace CourseKit.Serving;

/// <summary>One level of a load test: requests done, wall time, client-side latency percentiles, statuses.</summary>
public sealed record LoadLevelResult(string Name, int Concurrency, bool Batching, int Requests, double Seconds, double RequestsPerSecond,
    double P50Ms, double P95Ms, double P99Ms, double MeanBatchSize, IReadOnlyDictionary<string, int> Statuses, int TransportErrors)
{
    /// <summary>Share of the level's wall time the inference thread spent in the backend (tokenise, forward, decode).
    /// Near 1: the model is the bottleneck and batching can only gain what a bigger batch saves per input; well
    /// below 1: the time goes to HTTP, JSON and waiting, outside the model.</summary>
    public double ModelBusyShare { get; init; }
    /// <summary>Backend time per answered request, ms.</summary>
    public double ModelMsPerRequest { get; init; }
}

/// <summary>
/// A closed-loop HTTP load generator: <c>concurrency</c> workers, each sending its next request as soon as the last
/// one is answered, until <c>maxRequests</c> are sent or <c>maxSeconds</c> pass. Loopback only.
/// </summary>
public sealed class LoadTestClient : IDisposable
{
    readonly HttpClient _http;

    public LoadTestClient(Uri baseAddress, TimeSpan timeout)
    {
        if (!baseAddress.IsLoopback) throw new ArgumentException($"{baseAddress}: the load test only runs against loopback", nameof(baseAddress));
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) };
        _http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = timeout };
    }

    public HttpClient Http => _http;

    /// <summary>Runs <paramref name="next"/>(i) for request i (path, body, whether it counts as a good request) and
    /// returns the statuses ("200", "422", "error") and the good requests' latencies.</summary>
    public async Task<(Dictionary<string, int> Statuses, List<double> LatenciesMs, int Done, double Seconds)> RunAsync(
        int concurrency, int maxRequests, double maxSeconds, Func<int, (string Path, byte[] Body, bool Good)> next)
    {
        var statuses = new Dictionary<string, int>();
        var latencies = new List<double>(Math.Min(maxRequests, 4096));
        int issued = -1, done = 0;
        var clock = Stopwatch.StartNew();
        async Task Worker()
        {
            while (clock.Elapsed.TotalSeconds < maxSeconds)
            {
                int i = Interlocked.Increment(ref issued);
                if (i >= maxRequests) break;
                var (path, body, good) = next(i);
                long start = Stopwatch.GetTimestamp();
                string status;
                try
                {
                    using var content = new ByteArrayContent(body);
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                    using var response = await _http.PostAsync(path, content);
                    await response.Content.ReadAsByteArrayAsync();
                    status = ((int)response.StatusCode).ToString();
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { status = "error"; }
                double ms = (Stopwatch.GetTimestamp() - start) * 1000.0 / Stopwatch.Frequency;
                lock (statuses)
                {
                    statuses[status] = statuses.GetValueOrDefault(status) + 1;
                    if (good && status == "200") latencies.Add(ms);
                    done++;
                }
            }
        }
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Worker)));
        return (statuses, latencies, done, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The q-quantile (0..1) of <paramref name="values"/> by linear interpolation (numpy's default); NaN when empty.</summary>
    public static double Percentile(IReadOnlyList<double> values, double q)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        double position = q * (sorted.Length - 1);
        int lower = (int)Math.Floor(position), upper = (int)Math.Ceiling(position);
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
    }

    public void Dispose() => _http.Dispose();
}
