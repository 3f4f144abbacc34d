using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CourseKit.Models;
using CourseKit.Native;
using CourseKit.Serving;
using CourseKit.Tasks.SequenceClassification;
using CourseKit.Text;

namespace CourseKit.Tests.Serving;

/// <summary>Tiny random BERT folders (hidden 32, 2 layers) for each served task, made once per test class: the base
/// masked-LM folder (embed) and classify / NER / QA heads saved on top of it with their label names.</summary>
public sealed class ServingModelsFixture : IDisposable
{
    public static readonly string[] ClassLabels = ["negative", "positive"];
    public static readonly string[] NerLabels = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"];

    public ServingModelsFixture()
    {
        TorchRuntime.Initialize();
        var tokenizer = BertTextTokenizer.Cased(TestPaths.InRepo("datasets", "bert-vocab", "bert-base-cased-vocab.txt"));
        Root = TestPaths.NewTempDir("coursekit-serving");
        var baseDir = Path.Combine(Root, "embed");
        SequenceClassificationModels.CreateRandomBert(baseDir, tokenizer, hiddenSize: 32, layers: 2, heads: 2, intermediateSize: 64, maxPositions: 128, seed: 5);
        Dirs[ServingTask.Embed] = baseDir;
        TorchSharp.torch.manual_seed(6);
        Dirs[ServingTask.Classify] = Save("classify", BertForSequenceClassification.FromPretrained(baseDir, ClassLabels), tokenizer);
        Dirs[ServingTask.Ner] = Save("ner", BertForTokenClassification.FromPretrained(baseDir, NerLabels), tokenizer);
        Dirs[ServingTask.Qa] = Save("qa", BertForQuestionAnswering.FromPretrained(baseDir), tokenizer);
    }

    string Save(string name, IHuggingFaceModel model, BertTextTokenizer tokenizer)
    {
        var dir = Path.Combine(Root, name);
        model.SavePretrained(dir, tokenizer, 128);
        ((IDisposable)model).Dispose();
        return dir;
    }

    public string Root { get; }
    public Dictionary<ServingTask, string> Dirs { get; } = new();

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

/// <summary>A backend that waits before each forward pass (to hold requests in flight) and records batch sizes;
/// a text "boom" makes it throw.</summary>
sealed class SlowBackend(IServingBackend inner, TimeSpan delay) : IServingBackend
{
    public List<int> BatchSizes { get; } = new();
    public ServingTask Task => inner.Task;
    public string Description => "slow " + inner.Description;

    public IReadOnlyList<object> Run(IReadOnlyList<ServingInput> inputs)
    {
        lock (BatchSizes) BatchSizes.Add(inputs.Count);
        Thread.Sleep(delay);
        if (inputs.Any(i => i.Text == "boom")) throw new InvalidOperationException("boom");
        return inner.Run(inputs);
    }

    public void Dispose() => inner.Dispose();
}

static class ServingClient
{
    public static HttpClient For(ServingHost host) => new() { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    public static async Task<(int Status, JsonElement Body)> PostAsync(HttpClient http, string path, object body)
    {
        using var response = await http.PostAsJsonAsync(path.TrimStart('/'), body);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    public static async Task<(int Status, string Body)> PostBytesAsync(HttpClient http, string path, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        using var response = await http.PostAsync(path.TrimStart('/'), content);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}
