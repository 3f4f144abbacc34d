using System.Text.Json;
using CourseKit.Models;
using CourseKit.Serving;

namespace CourseKit.Tests.Serving;

/// <summary>The service on a tiny random BERT, on a free loopback port: each task answers with the documented
/// JSON, and the embed answer is the kit's SentenceEncoder's.</summary>
[KeepTensorsAlive]
public sealed class ServingHostTests(ServingModelsFixture models) : IClassFixture<ServingModelsFixture>
{
    async Task<ServingHost> Start(ServingTask task, ServingOptions? options = null)
    {
        var o = (options ?? new ServingOptions()) with { Task = task, Port = 0 };
        var host = ServingHost.Load(models.Dirs[task], o);
        await host.StartAsync();
        return host;
    }

    [Fact]
    public async Task Classify_answers_a_label_and_probabilities_for_one_text_and_for_many()
    {
        await using var host = await Start(ServingTask.Classify);
        using var http = ServingClient.For(host);
        var (status, one) = await ServingClient.PostAsync(http, "/classify", new { text = "A wonderful film." });
        Assert.Equal(200, status);
        Assert.Contains(one.GetProperty("label").GetString(), ServingModelsFixture.ClassLabels);
        var scores = one.GetProperty("scores").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        Assert.Equal(ServingModelsFixture.ClassLabels.Order(), scores.Keys.Order());
        Assert.Equal(1.0, scores.Values.Sum(), 4);
        Assert.Equal(scores.Values.Max(), one.GetProperty("score").GetDouble(), 6);

        var (manyStatus, many) = await ServingClient.PostAsync(http, "/classify", new { texts = new[] { "Good.", "Bad and boring.", "So-so." } });
        Assert.Equal(200, manyStatus);
        Assert.Equal(3, many.GetProperty("results").GetArrayLength());
    }

    [Fact]
    public async Task Ner_entities_carry_character_offsets_into_the_input()
    {
        await using var host = await Start(ServingTask.Ner);
        using var http = ServingClient.For(host);
        const string text = "Angela Merkel met Emmanuel Macron in Berlin, then flew to Paris.";
        var (status, body) = await ServingClient.PostAsync(http, "/ner", new { text });
        Assert.Equal(200, status);
        var entities = body.GetProperty("entities").EnumerateArray().ToArray();
        // A random head tags something: with 5 labels and ~13 words an all-O sentence would be a coincidence, not a test.
        Assert.NotEmpty(entities);
        foreach (var e in entities)
        {
            int start = e.GetProperty("start").GetInt32(), end = e.GetProperty("end").GetInt32();
            Assert.Equal(text[start..end], e.GetProperty("text").GetString());
            Assert.Contains(e.GetProperty("entity").GetString(), new[] { "PER", "LOC" });
            Assert.InRange(e.GetProperty("score").GetDouble(), 0, 1);
        }
    }

    [Fact]
    public async Task Qa_answer_is_the_context_span_at_its_offsets()
    {
        await using var host = await Start(ServingTask.Qa);
        using var http = ServingClient.For(host);
        const string context = "The Amazon rainforest covers much of the Amazon basin of South America. It spans nine nations.";
        var (status, body) = await ServingClient.PostAsync(http, "/qa", new { question = "How many nations does it span?", context });
        Assert.Equal(200, status);
        int start = body.GetProperty("start").GetInt32(), end = body.GetProperty("end").GetInt32();
        Assert.True(end > start, body.ToString());
        Assert.Equal(context[start..end], body.GetProperty("answer").GetString());
    }

    [Fact]
    public async Task Embed_returns_the_sentence_encoders_unit_vectors()
    {
        await using var host = await Start(ServingTask.Embed);
        using var http = ServingClient.For(host);
        string[] texts = ["A man is playing a guitar.", "Hello", "Prices rose 12% in Zürich."];
        var (status, body) = await ServingClient.PostAsync(http, "/embed", new { texts });
        Assert.Equal(200, status);
        var served = body.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        using var encoder = SentenceEncoder.Load(models.Dirs[ServingTask.Embed]);
        using var expected = encoder.Encode(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            var reference = expected[i].data<float>().ToArray();
            Assert.Equal(reference.Length, served[i].Length);
            Assert.True(reference.Zip(served[i]).Max(p => Math.Abs(p.First - p.Second)) < 1e-5, $"text {i} differs from SentenceEncoder.Encode");
            Assert.Equal(1.0, Math.Sqrt(served[i].Sum(v => (double)v * v)), 4);
        }
    }

    [Fact]
    public async Task Health_and_metrics_report_the_task_and_the_requests()
    {
        await using var host = await Start(ServingTask.Embed);
        using var http = ServingClient.For(host);
        await ServingClient.PostAsync(http, "/embed", new { text = "one" });
        await ServingClient.PostAsync(http, "/embed", new { text = 1 });
        var health = JsonDocument.Parse(await http.GetStringAsync("health")).RootElement;
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal("embed", health.GetProperty("task").GetString());
        var metrics = await http.GetStringAsync("metrics");
        Assert.Contains("coursekit_requests_total{path=\"/embed\",status=\"200\"} 1", metrics);
        Assert.Contains("coursekit_requests_total{path=\"/embed\",status=\"422\"} 1", metrics);
        Assert.Contains("coursekit_request_errors_total{class=\"5xx\"} 0", metrics);
        Assert.Contains("coursekit_batch_size_count 1", metrics);
        Assert.Contains("coursekit_batch_duration_seconds_count 1", metrics);                // one forward, timed
        Assert.Matches(@"coursekit_batch_duration_seconds_sum [1-9]|coursekit_batch_duration_seconds_sum 0\.\d*[1-9]", metrics);   // and not zero
        Assert.Contains("# TYPE coursekit_request_duration_seconds histogram", metrics);
    }
}
