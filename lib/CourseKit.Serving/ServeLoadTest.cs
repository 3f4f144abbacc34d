using System.Diagnostics;
using System.Text;
using System.Text.Json;
using CourseKit.Native;

namespace CourseKit.Serving;

/// <summary>
/// <c>course bench serve</c>: starts the service in-process on a free loopback port and measures it with a
/// closed-loop client. Per concurrency (1, 8, 32), micro-batching on (up to <see cref="ServeLoadTestOptions.MaxBatch"/>)
/// and off (one request per forward): throughput and p50/p95/p99. Then good traffic with every class of bad input
/// mixed in (statuses counted; any 5xx is a failure), and the process's memory after N₁ and N₂ requests (flat
/// memory is what shows no tensor or scalar leaks per request). One backend (the model) serves every phase.
/// </summary>
public static class ServeLoadTest
{
    public static async Task<ServeLoadTestResult> RunAsync(IServingBackend backend, ServeLoadTestOptions o, string modelName,
        ServingBackend backendName, Action? onInferenceThreadStart = null, Action<string>? log = null)
    {
        log ??= _ => { };
        var baseOptions = new ServingOptions { Task = backend.Task, Backend = backendName, Port = 0, MaxWaitMs = o.MaxWaitMs, RequestTimeout = TimeSpan.FromSeconds(60) };
        var good = GoodBodies(backend.Task, o.Seed);
        var path = ServingNames.Path(backend.Task);
        var levels = new List<LoadLevelResult>();
        foreach (bool batching in new[] { true, false })
        {
            await using var host = new ServingHost(backend, baseOptions with { MaxBatch = batching ? o.MaxBatch : 1 }, ownsBackend: false, onInferenceThreadStart);
            await host.StartAsync();
            using var client = new LoadTestClient(host.BaseAddress, TimeSpan.FromSeconds(120));
            // Warm-up, timed rather than counted: the process keeps settling for seconds after the model loads (JIT
            // tiers, allocator, connection pool). Counted (64 requests at c=4) it left the first host's c=1 level
            // ~10 % slower than the second host's, whichever ran first; three c=1 levels in a row read 97.8, 103.7,
            // 110.8/s, then 110.7/s without batching (quick profile, idle machine). Then each concurrency once.
            await client.RunAsync(1, 100_000, o.WarmupSeconds, i => (path, good[i % good.Length], true));
            foreach (int concurrency in o.Concurrencies)
                await client.RunAsync(concurrency, Math.Min(64, o.RequestsPerLevel), 60, i => (path, good[i % good.Length], true));
            foreach (int concurrency in o.Concurrencies)
            {
                long batches = host.Metrics.BatchSize.Count;
                double inputs = host.Metrics.BatchSize.Sum, busy = host.Metrics.BatchDuration.Sum;
                var (statuses, latencies, done, seconds) = await client.RunAsync(concurrency, o.RequestsPerLevel, o.SecondsPerLevel, i => (path, good[i % good.Length], true));
                double meanBatch = (host.Metrics.BatchSize.Sum - inputs) / Math.Max(1, host.Metrics.BatchSize.Count - batches);
                var level = new LoadLevelResult($"{(batching ? "batching" : "no batching")} c={concurrency}", concurrency, batching, done, seconds,
                    statuses.GetValueOrDefault("200") / seconds, LoadTestClient.Percentile(latencies, 0.50), LoadTestClient.Percentile(latencies, 0.95),
                    LoadTestClient.Percentile(latencies, 0.99), meanBatch, statuses, statuses.GetValueOrDefault("error"))
                {
                    ModelBusyShare = (host.Metrics.BatchDuration.Sum - busy) / seconds,
                    ModelMsPerRequest = 1000 * (host.Metrics.BatchDuration.Sum - busy) / Math.Max(1, done),
                };
                log($"{level.Name,-22} {level.Requests,6} requests {level.RequestsPerSecond,8:F1}/s  p50 {level.P50Ms,7:F1} ms  p95 {level.P95Ms,7:F1} ms  p99 {level.P99Ms,7:F1} ms  mean batch {level.MeanBatchSize:F1}  model busy {level.ModelBusyShare:P0} ({level.ModelMsPerRequest:F1} ms/request)");
                levels.Add(level);
            }
        }
        // After the levels (the JIT has optimised the forward by now) and between hosts, on a thread of its own
        // set up as the service's inference thread is: the backend is used by nothing else meanwhile.
        var ceiling = await OnInferenceLikeThread(() => BatchCeiling.Measure(backend, GoodInputs(backend.Task, o.Seed).Take(o.MaxBatch).ToArray(), o.ComparisonRounds),
            onInferenceThreadStart);
        log($"the model alone, {ceiling.Inputs} inputs of the same mix: one forward {ceiling.MedianBatchMs:F1} ms, one per input {ceiling.MedianOneByOneMs:F1} ms: at most {ceiling.Speedup:F2}× from batching");
        var comparison = await Compare(backend, baseOptions, good, path, o, onInferenceThreadStart);
        log($"interleaved at c={comparison.Concurrency}, {comparison.Rounds} rounds of {comparison.RequestsPerRound}: batching {comparison.MedianBatchingRps:F1}/s (p99 {comparison.MedianBatchingP99Ms:F0} ms) vs one request per forward {comparison.MedianSingleRps:F1}/s (p99 {comparison.MedianSingleP99Ms:F0} ms): {comparison.Speedup:F2}×");
        await using var mixHost = new ServingHost(backend, baseOptions with { MaxBatch = o.MaxBatch }, ownsBackend: false, onInferenceThreadStart);
        await mixHost.StartAsync();
        using var mixClient = new LoadTestClient(mixHost.BaseAddress, TimeSpan.FromSeconds(120));
        var mix = await BadInputMix(mixClient, baseOptions, good, path, o);
        log($"bad-input mix: {mix.Requests} requests ({mix.BadRequests} bad), 5xx {mix.Status5xx}, unexpected statuses {mix.UnexpectedStatuses}, healthy after: {mix.HealthyAfter}");
        var (first, second) = await Memory(mixClient, good, path, o);
        log($"memory: {first.ResidentBytes / 1e6:F0} MB resident after {first.Requests:N0} requests, {second.ResidentBytes / 1e6:F0} MB after {second.Requests:N0}");
        return new ServeLoadTestResult(modelName, ServingNames.Name(backend.Task), ServingNames.Name(backendName), TorchSharp.torch.get_num_threads(),
            o.Profile.Name(), o.Seed, levels, comparison, mix, first, second) { Ceiling = ceiling };
    }

    static Task<T> OnInferenceLikeThread<T>(Func<T> work, Action? onThreadStart)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try { onThreadStart?.Invoke(); done.SetResult(work()); }
            catch (Exception e) { done.SetException(e); }
        }) { IsBackground = true, Name = "coursekit-batch-ceiling" };
        thread.Start();
        return done.Task;
    }

    /// <summary>Batching on and off alternately at the highest concurrency, <see cref="ServeLoadTestOptions.ComparisonRounds"/>
    /// times, so a machine whose load drifts (a shared CI box) affects both alike; the speedup is the ratio of the medians.</summary>
    static async Task<BatchingComparison> Compare(IServingBackend backend, ServingOptions baseOptions, byte[][] good, string path,
        ServeLoadTestOptions o, Action? onInferenceThreadStart)
    {
        int concurrency = o.Concurrencies.Max();
        var rps = new Dictionary<bool, List<double>> { [true] = new(), [false] = new() };
        var p99 = new Dictionary<bool, List<double>> { [true] = new(), [false] = new() };
        for (int round = 0; round < o.ComparisonRounds; round++)
            foreach (bool batching in new[] { true, false })
            {
                await using var host = new ServingHost(backend, baseOptions with { MaxBatch = batching ? o.MaxBatch : 1 }, ownsBackend: false, onInferenceThreadStart);
                await host.StartAsync();
                using var client = new LoadTestClient(host.BaseAddress, TimeSpan.FromSeconds(120));
                await client.RunAsync(2, 4, 30, i => (path, good[i % good.Length], true));
                var (statuses, latencies, _, seconds) = await client.RunAsync(concurrency, o.RequestsPerRound, o.SecondsPerLevel, i => (path, good[(round * 7 + i) % good.Length], true));
                rps[batching].Add(statuses.GetValueOrDefault("200") / seconds);
                p99[batching].Add(LoadTestClient.Percentile(latencies, 0.99));
            }
        double Median(List<double> v) => LoadTestClient.Percentile(v, 0.5);
        return new BatchingComparison(concurrency, o.ComparisonRounds, o.RequestsPerRound, rps[true], rps[false],
            Median(rps[true]), Median(rps[false]), Median(p99[true]), Median(p99[false]));
    }

    static async Task<BadInputMixResult> BadInputMix(LoadTestClient client, ServingOptions limits, byte[][] good, string path, ServeLoadTestOptions o)
    {
        var bad = BadRequests.For(limits.Task, limits);
        var random = new Random(o.Seed);
        // Which requests are bad is drawn up front, so the mix is the same for a seed whatever the timing.
        var plan = Enumerable.Range(0, o.MixRequests).Select(_ => random.NextDouble() < o.BadShare ? random.Next(bad.Count) : -1).ToArray();
        var byClass = new Dictionary<string, int>();
        int unexpected = 0;
        var (statuses, _, done, _) = await client.RunAsync(32, o.MixRequests, o.SecondsPerLevel * 2, i =>
        {
            if (plan[i] < 0) return (path, good[i % good.Length], true);
            var b = bad[plan[i]];
            lock (byClass) byClass[b.Name] = byClass.GetValueOrDefault(b.Name) + 1;
            return (b.Path, b.Body, false);
        });
        // Each bad class again, alone, to check its exact status.
        foreach (var b in bad)
        {
            var (s, _, _, _) = await client.RunAsync(1, 1, 30, _ => (b.Path, b.Body, false));
            if (!s.ContainsKey(b.ExpectedStatus.ToString())) unexpected++;
        }
        bool healthy;
        try { healthy = (await client.Http.GetAsync("health")).IsSuccessStatusCode; } catch (HttpRequestException) { healthy = false; }
        int fiveXx = statuses.Where(s => s.Key.StartsWith('5')).Sum(s => s.Value);
        int badCount = plan.Take(done).Count(p => p >= 0);
        return new BadInputMixResult(done, done - badCount, badCount, statuses, fiveXx, unexpected, byClass, healthy);
    }

    static async Task<(MemoryReading First, MemoryReading Second)> Memory(LoadTestClient client, byte[][] good, string path, ServeLoadTestOptions o)
    {
        var clock = Stopwatch.StartNew();
        int total = 0;
        async Task<MemoryReading> RunTo(int target)
        {
            var (_, _, done, _) = await client.RunAsync(8, target - total, Math.Max(1, o.MemorySeconds - clock.Elapsed.TotalSeconds), i => (path, good[(total + i) % good.Length], true));
            total += done;
            return new MemoryReading(total, ProcessMemory.ResidentAfterCollect(), GC.GetTotalMemory(false));
        }
        var first = await RunTo(o.MemoryFirstReading);
        var second = await RunTo(o.MemorySecondReading);
        return (first, second);
    }

    /// <summary>Request bodies of real sentences of mixed length (shuffled by the seed); QA: question + context pairs.</summary>
    public static byte[][] GoodBodies(ServingTask task, int seed) =>
        GoodInputs(task, seed).Select(input => Encoding.UTF8.GetBytes(task == ServingTask.Qa
            ? JsonSerializer.Serialize(new { question = input.Question, context = input.Text })
            : JsonSerializer.Serialize(new { text = input.Text }))).ToArray();

    /// <summary>What the good request bodies carry, in their order: 64 sentences drawn by the seed; QA: each context
    /// with its question.</summary>
    public static IReadOnlyList<ServingInput> GoodInputs(ServingTask task, int seed)
    {
        var random = new Random(seed);
        return task == ServingTask.Qa
            ? Contexts.Select((c, i) => new ServingInput(c, Questions[i % Questions.Length])).ToArray()
            : Enumerable.Range(0, 64).Select(_ => new ServingInput(Sentences[random.Next(Sentences.Length)])).ToArray();
    }

    public static readonly string[] Sentences =
    [
        "A man is playing a guitar.",
        "Someone plays the acoustic guitar on stage while the crowd sings along.",
        "The stock market fell sharply on Tuesday after the central bank raised interest rates by half a point.",
        "Operating profit rose to EUR 13.1 mn from EUR 8.7 mn in the corresponding period in 2007.",
        "Hello",
        "it's a charming and often affecting journey.",
        "Angela Merkel met Emmanuel Macron in Berlin to discuss the European Union budget.",
        "The film is long, slow and, in the end, rather pointless.",
    ];

    static readonly string[] Questions = ["Who met in Berlin?", "What rose in 2007?", "What did the central bank raise?"];
    static readonly string[] Contexts =
    [
        "Angela Merkel met Emmanuel Macron in Berlin to discuss the European Union budget.",
        "Operating profit rose to EUR 13.1 mn from EUR 8.7 mn in the corresponding period in 2007.",
        "The stock market fell sharply on Tuesday after the central bank raised interest rates by half a point.",
    ];
}
