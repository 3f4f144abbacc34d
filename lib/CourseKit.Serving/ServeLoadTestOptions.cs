using System.Text.Json;

namespace CourseKit.Serving;

/// <summary>
/// The load test's sizes. Every level is bounded twice, in requests and in seconds, so a slow machine ends early
/// rather than late (the JSON says how many requests each level did).
/// </summary>
public sealed record ServeLoadTestOptions
{
    public Profile Profile { get; init; } = Profile.Quick;
    public int Seed { get; init; } = 42;
    public IReadOnlyList<int> Concurrencies { get; init; } = [1, 8, 32];
    public int RequestsPerLevel { get; init; } = 200;
    public double SecondsPerLevel { get; init; } = 20;
    /// <summary>Seconds of one-at-a-time requests before each host's levels (then 64 at each concurrency).</summary>
    public double WarmupSeconds { get; init; } = 6;
    /// <summary>Requests of the bad-input mix (good and bad together) and the share that is bad.</summary>
    public int MixRequests { get; init; } = 300;
    public double BadShare { get; init; } = 0.25;
    /// <summary>Memory is read after this many requests, then again after <see cref="MemorySecondReading"/>.</summary>
    public int MemoryFirstReading { get; init; } = 300;
    public int MemorySecondReading { get; init; } = 1_500;
    public double MemorySeconds { get; init; } = 120;
    /// <summary>Rounds of batching on / off, alternated, at the highest concurrency, and requests per round.</summary>
    public int ComparisonRounds { get; init; } = 3;
    public int RequestsPerRound { get; init; } = 128;
    public int MaxBatch { get; init; } = 32;
    public double MaxWaitMs { get; init; } = 2;

    /// <summary>quick: a couple of minutes on 2 cores with all-MiniLM-L6-v2; full: 2,000 requests a level and
    /// memory after 1,000 vs 10,000 requests.</summary>
    public static ServeLoadTestOptions For(Profile profile, int seed = 42) => profile == Profile.Quick
        ? new() { Profile = profile, Seed = seed }
        : new()
        {
            Profile = profile, Seed = seed, RequestsPerLevel = 2_000, SecondsPerLevel = 90, WarmupSeconds = 15, MixRequests = 2_000, ComparisonRounds = 5, RequestsPerRound = 640,
            MemoryFirstReading = 1_000, MemorySecondReading = 10_000, MemorySeconds = 600,
        };
}

/// <summary>Memory of the process (server and client: the test runs in-process) after two request counts, each
/// read after a full garbage collection.</summary>
public sealed record MemoryReading(int Requests, long ResidentBytes, long ManagedBytes);

/// <summary>Micro-batching against one request per forward, alternated round by round: requests/s and p99 per
/// round, their medians, and the ratio of the median throughputs.</summary>
public sealed record BatchingComparison(int Concurrency, int Rounds, int RequestsPerRound, IReadOnlyList<double> BatchingRps, IReadOnlyList<double> SingleRps,
    double MedianBatchingRps, double MedianSingleRps, double MedianBatchingP99Ms, double MedianSingleP99Ms)
{
    public double Speedup => MedianSingleRps == 0 ? double.NaN : MedianBatchingRps / MedianSingleRps;
}

public sealed record BadInputMixResult(int Requests, int GoodRequests, int BadRequests, IReadOnlyDictionary<string, int> Statuses,
    int Status5xx, int UnexpectedStatuses, IReadOnlyDictionary<string, int> BadByClass, bool HealthyAfter);

/// <summary>Everything <c>course bench serve</c> measures, and its JSON.</summary>
public sealed record ServeLoadTestResult(string Model, string Task, string Backend, int TorchThreads, string Profile, int Seed,
    IReadOnlyList<LoadLevelResult> Levels, BatchingComparison Comparison, BadInputMixResult BadInputMix, MemoryReading MemoryFirst, MemoryReading MemorySecond)
{
    public double MemoryGrowth => MemoryFirst.ResidentBytes == 0 ? double.NaN : (double)MemorySecond.ResidentBytes / MemoryFirst.ResidentBytes - 1;

    /// <summary>Throughput with micro-batching over one request per forward at the highest concurrency (interleaved rounds).</summary>
    public double BatchingSpeedup => Comparison.Speedup;

    /// <summary>The backend alone on <see cref="ServeLoadTestOptions.MaxBatch"/> inputs of the same mix: the most batching can give.</summary>
    public BatchCeiling? Ceiling { get; init; }

    public string ToJson() => JsonSerializer.Serialize(new
    {
        model = Model, task = Task, backend = Backend, torchThreads = TorchThreads, profile = Profile, seed = Seed,
        levels = Levels, batchingComparison = Comparison, batchingSpeedup = BatchingSpeedup,
        batchingCeiling = Ceiling is null ? null : new { Ceiling.Inputs, Ceiling.Rounds, Ceiling.MedianBatchMs, Ceiling.MedianOneByOneMs, Ceiling.Speedup },
        badInputMix = BadInputMix,
        memory = new { first = MemoryFirst, second = MemorySecond, growth = MemoryGrowth },
    }, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });
}
