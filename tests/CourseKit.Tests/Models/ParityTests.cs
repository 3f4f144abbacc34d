using System.Text.Json;
using CourseKit.Models;
using CourseKit.Native;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;
using static CourseKit.Tests.Models.ModelTestData;

namespace CourseKit.Tests.Models;

/// <summary>Against PyTorch: tests/fixtures/*-parity/make_fixture.py wrote the weights and PyTorch's outputs.</summary>
[Collection(TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public class ParityTests(ITestOutputHelper output)
{
    static ParityTests() => TorchRuntime.Initialize();

    static JsonElement Expected(string fixture) =>
        JsonDocument.Parse(File.ReadAllText(TestPaths.InRepo("tests", "fixtures", fixture, "expected.json"))).RootElement;

    static Tensor LongTensor(JsonElement e)
    {
        var rows = e.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
        return torch.tensor(rows.SelectMany(r => r).ToArray()).reshape(rows.Length, rows[0].Length);
    }

    static Tensor FloatTensor(JsonElement e)
    {
        var shape = new List<long>();
        for (var x = e; x.ValueKind == JsonValueKind.Array; x = x[0]) shape.Add(x.GetArrayLength());
        var values = new List<float>();
        void Walk(JsonElement x)
        {
            if (x.ValueKind == JsonValueKind.Array) foreach (var y in x.EnumerateArray()) Walk(y);
            else values.Add(x.GetSingle());
        }
        Walk(e);
        return torch.tensor(values.ToArray()).reshape(shape.ToArray());
    }

    [Theory]
    [InlineData(AttentionImplementation.Eager)]
    [InlineData(AttentionImplementation.Sdpa)]
    public void Bert_matches_pytorch(AttentionImplementation attention)
    {
        var dir = TestPaths.InRepo("tests", "fixtures", "bert-parity");
        var (model, report, _) = Pretrained.Load(dir, BertConfig.Load, c => new BertModel(c),
            c => { c.AttentionImplementation = attention; return c; });
        using var _model = model;
        model.eval();
        Assert.True(report.IsComplete, report.ToString());
        Assert.Empty(report.Unexpected);

        var expected = Expected("bert-parity");
        using var _ = NewDisposeScope();
        using var noGrad = no_grad();
        var result = model.forward(LongTensor(expected.GetProperty("input_ids")),
            LongTensor(expected.GetProperty("attention_mask")), LongTensor(expected.GetProperty("token_type_ids")));
        var wantHidden = FloatTensor(expected.GetProperty("last_hidden_state"));
        var wantPooled = FloatTensor(expected.GetProperty("pooler_output"));
        Assert.Equal(wantHidden.shape, result.LastHiddenState.shape);
        var hiddenError = MaxAbsDiff(result.LastHiddenState, wantHidden);
        var pooledError = MaxAbsDiff(result.PoolerOutput!, wantPooled);
        output.WriteLine($"BERT {attention}: max |Δ| last_hidden_state {hiddenError:E2}, pooler_output {pooledError:E2} (scale {wantHidden.abs().max().item<float>():F2})");
        Assert.True(hiddenError < 1e-4f, $"last_hidden_state max abs error {hiddenError}");
        Assert.True(pooledError < 1e-4f, $"pooler_output max abs error {pooledError}");
    }

    [Theory]
    [InlineData(AttentionImplementation.Eager)]
    [InlineData(AttentionImplementation.Sdpa)]
    public void Gpt2_matches_pytorch(AttentionImplementation attention)
    {
        var dir = TestPaths.InRepo("tests", "fixtures", "gpt2-parity");
        // GPT2Model names without "transformer.", Conv1D layout, causal-mask buffers, no lm_head.weight: as on the Hub.
        var (model, report, _) = Pretrained.Load(dir, GptConfig.Load, c => new GptModel(c),
            c => { c.AttentionImplementation = attention; return c; });
        using var _model = model;
        model.eval();
        Assert.True(report.IsComplete, report.ToString());
        Assert.Empty(report.Unexpected);
        Assert.Equal(["h.0.attn.bias", "h.1.attn.bias"], report.Ignored.Order());

        var expected = Expected("gpt2-parity");
        using var _ = NewDisposeScope();
        using var noGrad = no_grad();
        var logits = model.forward(LongTensor(expected.GetProperty("input_ids"))).Logits;
        var want = FloatTensor(expected.GetProperty("logits"));
        Assert.Equal(want.shape, logits.shape);
        var error = MaxAbsDiff(logits, want);
        output.WriteLine($"GPT-2 {attention}: max |Δ| logits {error:E2} (scale {want.abs().max().item<float>():F2})");
        Assert.True(error < 1e-4f, $"logits max abs error {error}");
    }
}
