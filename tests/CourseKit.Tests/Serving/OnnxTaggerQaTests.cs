using CourseKit.Checkpoints;
using CourseKit.Serving;

namespace CourseKit.Tests.Serving;

/// <summary>NER and QA over ONNX Runtime: the kit's export of the folder's head, run through the same word tagging,
/// entity grouping and span selection as the torch backend, answers what the torch backend answers; the export is
/// reused while it is up to date; bad requests still get their 4xx.</summary>
[KeepTensorsAlive]
public sealed class OnnxTaggerQaTests(ServingModelsFixture models) : IClassFixture<ServingModelsFixture>
{
    // Short windows (16 tokens, 4 shared) so the long inputs span several windows and the merge across windows is compared too.
    const int ShortWindows = 16;

    static readonly ServingInput[] Sentences = new[]
    {
        "Angela Merkel met Emmanuel Macron in Berlin, then flew to Paris.",
        "EU rejects German call to boycott British lamb.",
        "Peter Blackburn",
        "The Amazon rainforest covers much of the Amazon basin of South America; it spans nine nations, from Brazil to Suriname.",
    }.Select(t => new ServingInput(t)).ToArray();

    static readonly ServingInput[] Questions =
    [
        new("The Amazon rainforest covers much of the Amazon basin of South America. It spans nine nations.", "How many nations does it span?"),
        new("Ada Lovelace wrote the first program for Babbage's Analytical Engine in 1843, long before computers existed.", "Who wrote the first program?"),
        new("Zürich is the largest city in Switzerland; the Limmat river flows through it into Lake Zürich.", "Which river flows through Zürich?"),
    ];

    T[] Run<T>(ServingTask task, ServingBackend backend, ServingInput[] inputs, int? maxLength = null)
    {
        using var b = InferenceBackends.Load(models.Dirs[task], new ServingOptions { Task = task, Backend = backend, OnnxThreads = 1, MaxSequenceLength = maxLength });
        return b.Run(inputs).Cast<T>().ToArray();
    }

    [Theory]
    [InlineData(null)]
    [InlineData(ShortWindows)]
    public void Onnx_ner_finds_the_entities_the_torch_backend_finds(int? maxLength)
    {
        var torch = Run<NerResult>(ServingTask.Ner, ServingBackend.Torch, Sentences, maxLength);
        var onnx = Run<NerResult>(ServingTask.Ner, ServingBackend.Onnx, Sentences, maxLength);
        Assert.True(File.Exists(OnnxFolderGraphs.PathFor(models.Dirs[ServingTask.Ner], OnnxExportHead.TokenClassification, int8: false)));
        // A random head tags something: no entity at all would make the comparison empty.
        Assert.True(torch.Sum(r => r.Entities.Count) >= 3, $"{torch.Sum(r => r.Entities.Count)} entities");
        for (int i = 0; i < Sentences.Length; i++)
        {
            Assert.Equal(torch[i].Entities.Select(e => (e.Entity, e.Text, e.Start, e.End)), onnx[i].Entities.Select(e => (e.Entity, e.Text, e.Start, e.End)));
            foreach (var (a, b) in torch[i].Entities.Zip(onnx[i].Entities))
                Assert.True(Math.Abs(a.Score - b.Score) < 1e-4, $"sentence {i}, {a.Text}: {a.Score} vs {b.Score}");
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData(ShortWindows)]
    public void Onnx_qa_picks_the_span_the_torch_backend_picks(int? maxLength)
    {
        var torch = Run<QaResult>(ServingTask.Qa, ServingBackend.Torch, Questions, maxLength);
        var onnx = Run<QaResult>(ServingTask.Qa, ServingBackend.Onnx, Questions, maxLength);
        for (int i = 0; i < Questions.Length; i++)
        {
            Assert.True(torch[i].End > torch[i].Start, $"question {i}: torch found no span");
            Assert.Equal((torch[i].Answer, torch[i].Start, torch[i].End), (onnx[i].Answer, onnx[i].Start, onnx[i].End));
            Assert.True(Math.Abs(torch[i].Score - onnx[i].Score) < 1e-3, $"question {i}: {torch[i].Score} vs {onnx[i].Score}");
        }
    }

    [Fact]
    public void Int8_ner_and_qa_run_their_own_graphs_and_answer_spans_of_the_input()
    {
        var entities = Run<NerResult>(ServingTask.Ner, ServingBackend.OnnxInt8, Sentences);
        var answers = Run<QaResult>(ServingTask.Qa, ServingBackend.OnnxInt8, Questions);
        Assert.True(File.Exists(OnnxFolderGraphs.PathFor(models.Dirs[ServingTask.Ner], OnnxExportHead.TokenClassification, int8: true)));
        Assert.True(File.Exists(OnnxFolderGraphs.PathFor(models.Dirs[ServingTask.Qa], OnnxExportHead.QuestionAnswering, int8: true)));
        for (int i = 0; i < Sentences.Length; i++)
            foreach (var e in entities[i].Entities) Assert.Equal(Sentences[i].Text[e.Start..e.End], e.Text);
        for (int i = 0; i < Questions.Length; i++) Assert.Equal(Questions[i].Text[answers[i].Start..answers[i].End], answers[i].Answer);
    }

    [Fact]
    public void The_export_is_reused_while_up_to_date_and_redone_when_the_weights_are_newer()
    {
        var dir = models.Dirs[ServingTask.Qa];
        var graph = OnnxFolderGraphs.Ensure(dir, OnnxExportHead.QuestionAnswering, int8: false);
        var written = File.GetLastWriteTimeUtc(graph);
        Assert.Equal(graph, OnnxFolderGraphs.Ensure(dir, OnnxExportHead.QuestionAnswering, int8: false));
        Assert.Equal(written, File.GetLastWriteTimeUtc(graph));
        // A fine-tuning run that saves over the folder leaves weights newer than the graph: here, the graph made older.
        var stale = File.GetLastWriteTimeUtc(Path.Combine(dir, "model.safetensors")).AddMinutes(-1);
        File.SetLastWriteTimeUtc(graph, stale);
        Assert.False(OnnxFolderGraphs.IsUpToDate(dir, graph));
        OnnxFolderGraphs.Ensure(dir, OnnxExportHead.QuestionAnswering, int8: false);
        Assert.True(File.GetLastWriteTimeUtc(graph) > stale);
        Assert.True(OnnxFolderGraphs.IsUpToDate(dir, graph));
    }

    [Fact]
    public void A_folder_without_the_head_or_a_graph_of_another_head_is_refused_by_name()
    {
        var noHead = Assert.Throws<InvalidDataException>(() => InferenceBackends.Load(models.Dirs[ServingTask.Embed],
            new ServingOptions { Task = ServingTask.Ner, Backend = ServingBackend.Onnx }));
        Assert.Contains("classifier.weight", noHead.Message);
        var qaGraph = OnnxFolderGraphs.Ensure(models.Dirs[ServingTask.Qa], OnnxExportHead.QuestionAnswering, int8: false);
        var wrongHead = Assert.Throws<InvalidDataException>(() => InferenceBackends.Load(models.Dirs[ServingTask.Ner],
            new ServingOptions { Task = ServingTask.Ner, Backend = ServingBackend.Onnx, OnnxPath = qaGraph }));
        Assert.Contains("start_logits", wrongHead.Message);
    }

    [Theory]
    [InlineData(ServingTask.Ner)]
    [InlineData(ServingTask.Qa)]
    public async Task Bad_requests_get_their_4xx_from_the_onnx_service_too(ServingTask task)
    {
        var options = new ServingOptions { Task = task, Backend = ServingBackend.Onnx, Port = 0, OnnxThreads = 1, MaxTextChars = 200, MaxBodyBytes = 4096, MaxTextsPerRequest = 4, MaxSequenceLength = 32 };
        await using var host = ServingHost.Load(models.Dirs[task], options);
        await host.StartAsync();
        using var http = ServingClient.For(host);
        foreach (var request in BadRequests.For(task, options))
        {
            var (status, body) = await ServingClient.PostBytesAsync(http, request.Path, request.Body);
            Assert.True(request.ExpectedStatus == status, $"{request.Name}: expected {request.ExpectedStatus}, got {status}: {body}");
        }
        object good = task == ServingTask.Qa ? new { question = "Who?", context = "Ada wrote it." } : new { text = "Ada met Charles in London." };
        Assert.Equal(200, (await ServingClient.PostAsync(http, ServingNames.Path(task), good)).Status);
        Assert.Equal(0, host.Metrics.Requests(s => s >= 500));
    }
}
