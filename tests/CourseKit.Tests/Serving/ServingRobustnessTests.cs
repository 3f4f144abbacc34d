using CourseKit.Serving;

namespace CourseKit.Tests.Serving;

/// <summary>Bad input gets its 4xx and never a 5xx; a failed forward pass is a 500 for its request only; a request
/// past its timeout gets a 503; a graceful stop finishes the requests in flight; concurrent requests share forward
/// passes.</summary>
[KeepTensorsAlive]
public sealed class ServingRobustnessTests(ServingModelsFixture models) : IClassFixture<ServingModelsFixture>
{
    // Windows of 32 tokens, so a question within the 200-character limit can still be too long for one.
    static readonly ServingOptions SmallLimits = new() { Port = 0, MaxTextChars = 200, MaxBodyBytes = 4096, MaxTextsPerRequest = 4, MaxSequenceLength = 32 };

    async Task<(ServingHost Host, SlowBackend Backend)> StartSlow(ServingTask task, TimeSpan delay, ServingOptions options)
    {
        var o = options with { Task = task, Port = 0 };
        var backend = new SlowBackend(InferenceBackends.Load(models.Dirs[task], o), delay);
        var host = new ServingHost(backend, o);
        await host.StartAsync();
        return (host, backend);
    }

    [Theory]
    [InlineData(ServingTask.Embed)]
    [InlineData(ServingTask.Qa)]
    public async Task Every_class_of_bad_input_gets_its_4xx_and_the_service_still_answers(ServingTask task)
    {
        var (host, _) = await StartSlow(task, TimeSpan.Zero, SmallLimits);
        await using var _host = host;
        using var http = ServingClient.For(host);
        var bad = BadRequests.For(task, SmallLimits);
        Assert.True(bad.Count >= 10);
        Assert.Equal(task == ServingTask.Qa, bad.Any(b => b.Name == "question-too-long"));
        foreach (var request in bad)
        {
            var (status, body) = await ServingClient.PostBytesAsync(http, request.Path, request.Body);
            Assert.True(request.ExpectedStatus == status, $"{request.Name}: expected {request.ExpectedStatus}, got {status}: {body}");
            Assert.Contains("\"error\"", body);
        }
        object good = task == ServingTask.Qa ? new { question = "Who?", context = "Ada wrote it." } : new { text = "still here" };
        var (goodStatus, _) = await ServingClient.PostAsync(http, ServingNames.Path(task), good);
        Assert.Equal(200, goodStatus);
        Assert.Equal(0, host.Metrics.Requests(s => s >= 500));
    }

    [Fact]
    public async Task A_failing_forward_pass_is_a_500_for_its_request_and_the_next_request_is_answered()
    {
        var (host, _) = await StartSlow(ServingTask.Embed, TimeSpan.Zero, new ServingOptions { MaxBatch = 1 });
        await using var _host = host;
        using var http = ServingClient.For(host);
        Assert.Equal(500, (await ServingClient.PostAsync(http, "/embed", new { text = "boom" })).Status);
        Assert.Equal(200, (await ServingClient.PostAsync(http, "/embed", new { text = "fine" })).Status);
    }

    [Fact]
    public async Task A_bad_input_batched_with_good_ones_fails_alone()
    {
        // The first request holds the inference thread; the next two queue behind it and share a forward pass, which
        // the long question fails: each is then run alone, so only the bad one gets its 413.
        var (host, backend) = await StartSlow(ServingTask.Qa, TimeSpan.FromMilliseconds(300), new ServingOptions { MaxBatch = 8, MaxWaitMs = 200 });
        await using var _host = host;
        using var http = ServingClient.For(host);
        var first = ServingClient.PostAsync(http, "/qa", new { question = "Who?", context = "Ada wrote it." });
        while (backend.BatchSizes.Count == 0) await Task.Delay(5);
        var bad = ServingClient.PostAsync(http, "/qa", new { question = string.Concat(Enumerable.Repeat("why ", 400)), context = "Ada wrote it." });
        var good = ServingClient.PostAsync(http, "/qa", new { question = "Who wrote it?", context = "Ada wrote it." });
        Assert.Equal(200, (await first).Status);
        var (badStatus, badBody) = await bad;
        Assert.Equal(413, badStatus);
        Assert.Contains("question is too long", badBody.GetProperty("error").GetString());
        Assert.Equal(200, (await good).Status);
        Assert.Contains(2, backend.BatchSizes);                           // they did share a forward pass
        Assert.Equal(0, host.Metrics.Requests(s => s >= 500));
    }

    [Fact]
    public async Task A_long_run_of_cjk_characters_is_tagged_one_character_a_word()
    {
        var (host, _) = await StartSlow(ServingTask.Ner, TimeSpan.Zero, new ServingOptions());
        await using var _host = host;
        using var http = ServingClient.For(host);
        var (status, body) = await ServingClient.PostAsync(http, "/ner", new { text = "Ada 在 " + new string('中', 600) });
        Assert.True(status == 200, body.ToString());
        Assert.Equal(System.Text.Json.JsonValueKind.Array, body.GetProperty("entities").ValueKind);
    }

    [Fact]
    public async Task Requests_are_counted_under_the_endpoint_not_the_clients_spelling()
    {
        var (host, _) = await StartSlow(ServingTask.Embed, TimeSpan.Zero, new ServingOptions());
        await using var _host = host;
        using var http = ServingClient.For(host);
        Assert.Equal(200, (await ServingClient.PostAsync(http, "EMBED", new { text = "shouting" })).Status);
        var metrics = await http.GetStringAsync("metrics");
        Assert.Contains("coursekit_requests_total{path=\"/embed\",status=\"200\"} 1", metrics);
        Assert.DoesNotContain("EMBED", metrics);
    }

    [Fact]
    public async Task An_inference_thread_that_cannot_start_answers_503_instead_of_hanging()
    {
        var options = new ServingOptions { Task = ServingTask.Embed };
        using var backend = InferenceBackends.Load(models.Dirs[ServingTask.Embed], options);
        await using var batcher = new MicroBatcher(backend, options, new ServingMetrics(), () => throw new InvalidOperationException("no threads today"));
        var e = await Assert.ThrowsAsync<ServingRequestException>(() => batcher.SubmitAsync([new ServingInput("hello")], CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(503, e.StatusCode);
    }

    [Fact]
    public async Task A_request_past_its_timeout_gets_a_503()
    {
        var (host, _) = await StartSlow(ServingTask.Embed, TimeSpan.FromMilliseconds(600), new ServingOptions { RequestTimeout = TimeSpan.FromMilliseconds(100) });
        await using var _host = host;
        using var http = ServingClient.For(host);
        var (status, body) = await ServingClient.PostAsync(http, "/embed", new { text = "slow" });
        Assert.Equal(503, status);
        Assert.Contains("timeout", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Graceful_stop_finishes_the_requests_in_flight()
    {
        // One request per forward, 300 ms each: four requests are queued or running when the stop begins.
        var (host, backend) = await StartSlow(ServingTask.Embed, TimeSpan.FromMilliseconds(300), new ServingOptions { MaxBatch = 1 });
        await using var _host = host;
        using var http = ServingClient.For(host);
        var requests = Enumerable.Range(0, 4).Select(i => ServingClient.PostAsync(http, "/embed", new { text = $"request {i}" })).ToArray();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (host.Metrics.QueueDepth < 4 && waited.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(10);
        Assert.Equal(4, host.Metrics.QueueDepth);
        await host.StopAsync();
        foreach (var request in requests)
        {
            var (status, body) = await request;
            Assert.Equal(200, status);
            Assert.Equal(32, body.GetProperty("embedding").GetArrayLength());
        }
        Assert.Equal(4, backend.BatchSizes.Count);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.GetAsync("health"));
    }

    [Fact]
    public async Task Concurrent_requests_share_forward_passes_and_each_gets_its_own_answer()
    {
        var (host, backend) = await StartSlow(ServingTask.Embed, TimeSpan.FromMilliseconds(150), new ServingOptions { MaxBatch = 32, MaxWaitMs = 20 });
        await using var _host = host;
        using var http = ServingClient.For(host);
        var texts = Enumerable.Range(0, 16).Select(i => $"sentence number {i} about {(i % 2 == 0 ? "rivers" : "markets")}").ToArray();
        var answers = await Task.WhenAll(texts.Select(t => ServingClient.PostAsync(http, "/embed", new { text = t })));
        Assert.All(answers, a => Assert.Equal(200, a.Status));
        Assert.True(host.Metrics.BatchSize.CountAboveFirstBound > 0, $"batch sizes {string.Join(",", backend.BatchSizes)}");
        Assert.True(backend.BatchSizes.Count < texts.Length, $"batch sizes {string.Join(",", backend.BatchSizes)}");
        // Each request got the vector of its own text: the same as asking alone.
        for (int i = 0; i < texts.Length; i += 5)
        {
            var (_, alone) = await ServingClient.PostAsync(http, "/embed", new { text = texts[i] });
            var a = alone.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            var b = answers[i].Body.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            Assert.True(a.Zip(b).Max(p => Math.Abs(p.First - p.Second)) < 1e-4, $"request {i} got another request's vector");
        }
        Assert.Contains("coursekit_batch_size_bucket{le=\"1\"}", await http.GetStringAsync("metrics"));
    }

    [Fact]
    public async Task A_lone_request_is_not_held_back_waiting_for_companions()
    {
        // A batching wait far longer than a forward pass: a client that sends one request at a time must never pay it,
        // since nothing else is arriving (the request itself included, once it is queued).
        var (host, backend) = await StartSlow(ServingTask.Embed, TimeSpan.Zero, new ServingOptions { MaxBatch = 32, MaxWaitMs = 3000 });
        await using var _host = host;
        using var http = ServingClient.For(host);
        await ServingClient.PostAsync(http, "/embed", new { text = "warm up" });
        for (int i = 0; i < 8; i++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var (status, _) = await ServingClient.PostAsync(http, "/embed", new { text = $"alone {i}" });
            Assert.Equal(200, status);
            Assert.True(clock.ElapsedMilliseconds < 1500, $"request {i} waited {clock.ElapsedMilliseconds} ms with nothing else arriving");
        }
        Assert.All(backend.BatchSizes, size => Assert.Equal(1, size));
    }

    [Fact]
    public async Task After_a_forward_that_served_several_requests_the_batcher_waits_for_the_next_ones()
    {
        // The clients of a shared forward send again a moment after their answers: under load the batcher waits its
        // window for them instead of running whichever request came back first alone.
        var options = new ServingOptions { Task = ServingTask.Embed, Port = 0, MaxBatch = 32, MaxWaitMs = 2000 };
        var backend = new SlowBackend(InferenceBackends.Load(models.Dirs[ServingTask.Embed], options), TimeSpan.FromMilliseconds(300));
        await using var batcher = new MicroBatcher(backend, options, new ServingMetrics());
        Task<IReadOnlyList<object>> Ask(string text) => batcher.SubmitAsync([new ServingInput(text)], CancellationToken.None);
        var first = Ask("first");                                        // runs alone: nothing else yet
        await Task.Delay(100);
        await Task.WhenAll(first, Ask("second"), Ask("third"));          // queued during the first forward: one batch of 2
        var fourth = Ask("fourth");
        await Task.Delay(150);                                           // arrives after the fourth is queued, within the window
        await Task.WhenAll(fourth, Ask("fifth"));
        lock (backend.BatchSizes) Assert.Equal([1, 2, 2], backend.BatchSizes);
    }

    [Fact]
    public async Task The_load_test_runs_every_phase_without_a_5xx()
    {
        var options = new ServingOptions { Task = ServingTask.Embed };
        using var backend = InferenceBackends.Load(models.Dirs[ServingTask.Embed], options);
        var test = new ServeLoadTestOptions { Concurrencies = [1, 8], WarmupSeconds = 0.5, RequestsPerLevel = 24, ComparisonRounds = 1, RequestsPerRound = 16, MixRequests = 60, MemoryFirstReading = 20, MemorySecondReading = 60 };
        var result = await ServeLoadTest.RunAsync(backend, test, "tiny", ServingBackend.Torch);
        Assert.Equal(4, result.Levels.Count);
        Assert.All(result.Levels, l => Assert.Equal(24, l.Statuses.GetValueOrDefault("200")));
        Assert.Equal(0, result.BadInputMix.Status5xx);
        Assert.Equal(0, result.BadInputMix.UnexpectedStatuses);
        Assert.True(result.BadInputMix.BadRequests > 0);
        Assert.True(result.BadInputMix.HealthyAfter);
        Assert.Equal(60, result.MemorySecond.Requests);
        Assert.Single(result.Comparison.BatchingRps);
        Assert.True(result.BatchingSpeedup > 0);
        Assert.Contains("\"batchingSpeedup\"", result.ToJson());
        Assert.Equal(test.MaxBatch, result.Ceiling!.Inputs);                 // the load test's own mix, one batch's worth
        Assert.True(result.Ceiling.Speedup > 0);
        Assert.Contains("\"batchingCeiling\"", result.ToJson());
    }
}
