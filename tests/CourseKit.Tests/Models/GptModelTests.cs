using CourseKit.Models;
using CourseKit.Native;
using TorchSharp;
using static TorchSharp.torch;
using static CourseKit.Tests.Models.ModelTestData;

namespace CourseKit.Tests.Models;

[Collection(TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public class GptModelTests
{
    public GptModelTests() => TorchRuntime.Initialize();

    [Fact]
    public void State_dict_names_are_hugging_faces_with_lm_head_tied()
    {
        using var model = new GptModel(TinyGpt(layers: 1));
        string[] expected =
        [
            "transformer.wte.weight", "transformer.wpe.weight",
            "transformer.h.0.ln_1.weight", "transformer.h.0.ln_1.bias",
            "transformer.h.0.attn.c_attn.weight", "transformer.h.0.attn.c_attn.bias",
            "transformer.h.0.attn.c_proj.weight", "transformer.h.0.attn.c_proj.bias",
            "transformer.h.0.ln_2.weight", "transformer.h.0.ln_2.bias",
            "transformer.h.0.mlp.c_fc.weight", "transformer.h.0.mlp.c_fc.bias",
            "transformer.h.0.mlp.c_proj.weight", "transformer.h.0.mlp.c_proj.bias",
            "transformer.ln_f.weight", "transformer.ln_f.bias",
        ];
        Assert.Equal(expected.Order(), model.state_dict().Keys.Order());
        Assert.Equal("transformer.wte.weight", model.TiedWeights["lm_head.weight"]);
        using (no_grad()) model.transformer.wte.weight![4].fill_(0.5);
        Assert.Equal(0.5f, model.LmHeadWeight[4].max().item<float>());
    }

    [Fact]
    public void Parameter_count_matches_the_closed_form()
    {
        var c = TinyGpt(layers: 3);
        long V = c.VocabSize, P = c.NPositions, C = c.NEmbd, L = c.NLayer;
        long block = 2 * C + (C * 3 * C + 3 * C) + (C * C + C) + 2 * C + (C * 4 * C + 4 * C) + (4 * C * C + C);
        using var model = new GptModel(c);
        Assert.Equal(V * C + P * C + L * block + 2 * C, ParameterCounts.Total(model));
    }

    [Fact]
    public void Changing_a_future_token_does_not_change_past_logits()
    {
        torch.manual_seed(20);
        using var model = new GptModel(TinyGpt());
        model.eval();
        using var _ = NewDisposeScope();
        var a = model.forward(Ids(new long[,] { { 3, 14, 15, 9, 2, 6 } })).Logits;
        var b = model.forward(Ids(new long[,] { { 3, 14, 15, 9, 27, 6 } })).Logits;
        Assert.True(MaxAbsDiff(a[.., ..4], b[.., ..4]) < 1e-6f);
        Assert.True(MaxAbsDiff(a[.., 4..], b[.., 4..]) > 1e-4f);
    }

    [Fact]
    public void Fused_and_explicit_attention_agree()
    {
        torch.manual_seed(21);
        var config = TinyGpt();
        using var model = new GptModel(config);
        model.eval();
        using var _ = NewDisposeScope();
        var ids = Ids(new long[,] { { 3, 14, 15, 9, 2, 6 }, { 1, 1, 2, 3, 5, 8 } });
        var eager = model.forward(ids).Logits;
        config.AttentionImplementation = AttentionImplementation.Sdpa;
        var fused = model.forward(ids).Logits;
        Assert.True(MaxAbsDiff(eager, fused) < 1e-5f);
    }

    [Fact]
    public void Loss_scores_each_position_on_the_next_token()
    {
        torch.manual_seed(22);
        using var model = new GptModel(TinyGpt());
        model.eval();
        using var _ = NewDisposeScope();
        var ids = Ids(new long[,] { { 3, 14, 15, 9 } });
        var output = model.forward(ids, ids);
        var logp = output.Logits[0].log_softmax(-1);
        var byHand = -(logp[0, 14] + logp[1, 15] + logp[2, 9]) / 3;
        Assert.True(MaxAbsDiff(output.Loss!, byHand) < 1e-5f);
    }

    [Fact]
    public void Greedy_generation_is_deterministic_and_picks_the_argmax()
    {
        torch.manual_seed(23);
        using var model = new GptModel(TinyGpt());
        using var _ = NewDisposeScope();
        var prompt = Ids(new long[,] { { 3, 14 } });
        var first = model.Generate(prompt, 5);
        var second = model.Generate(prompt, 5);
        Assert.Equal(new long[] { 1, 7 }, first.shape);
        Assert.True(first.SameAs(second).item<bool>());
        Assert.True(first[.., ..2].SameAs(prompt).item<bool>());
        Assert.True(model.training);   // Generate ran in eval mode and restored the mode it found
        model.eval();
        var next = model.forward(prompt).Logits[0, -1].argmax().item<long>();
        Assert.Equal(next, first[0, 2].item<long>());
    }

    [Fact]
    public void Top_k_of_one_equals_greedy_and_seeded_sampling_repeats()
    {
        torch.manual_seed(24);
        using var model = new GptModel(TinyGpt());
        using var _ = NewDisposeScope();
        var prompt = Ids(new long[,] { { 3, 14 }, { 7, 7 } });
        var greedy = model.Generate(prompt, 6);
        var topOne = model.Generate(prompt, 6, new GenerationOptions { DoSample = true, TopK = 1, Temperature = 0.7, Seed = 5 });
        Assert.True(greedy.SameAs(topOne).item<bool>());

        var options = new GenerationOptions { DoSample = true, Temperature = 1.5, Seed = 42 };
        var s1 = model.Generate(prompt, 8, options);
        var s2 = model.Generate(prompt, 8, options);
        Assert.True(s1.SameAs(s2).item<bool>());
        var others = Enumerable.Range(0, 5).Select(i => model.Generate(prompt, 8, options with { Seed = (ulong)(100 + i) }));
        Assert.Contains(others, o => !o.SameAs(s1).item<bool>());
    }

    [Fact]
    public void Generation_crops_the_context_at_n_positions()
    {
        torch.manual_seed(25);
        var config = TinyGpt();
        using var model = new GptModel(config);
        using var _ = NewDisposeScope();
        var prompt = Ids(new long[,] { { 1, 2, 3 } });
        var ids = model.Generate(prompt, config.NPositions + 5);
        Assert.Equal(3 + config.NPositions + 5, ids.shape[1]);
        // The last token was predicted from the last n_positions tokens only.
        model.eval();
        var window = ids[.., ^(config.NPositions + 1)..^1];
        Assert.Equal(model.forward(window).Logits[0, -1].argmax().item<long>(), ids[0, -1].item<long>());
    }

    [Fact]
    public void Conv1D_layout_round_trips()
    {
        var config = TinyGpt();
        torch.manual_seed(26);
        using var source = new GptModel(config);
        var saved = source.ToHuggingFaceStateDict();
        Assert.Equal(new long[] { config.NEmbd, 3 * config.NEmbd }, saved["transformer.h.0.attn.c_attn.weight"].shape);
        Assert.Equal(new long[] { config.NEmbd, config.InnerSize }, saved["transformer.h.0.mlp.c_fc.weight"].shape);
        Assert.True(saved["transformer.h.1.mlp.c_proj.weight"].SameAs(source.transformer.h[1].mlp.c_proj.weight!.t()).item<bool>());
        Assert.DoesNotContain("lm_head.weight", saved.Keys);

        torch.manual_seed(27);
        using var target = new GptModel(config);
        var report = target.LoadHuggingFaceStateDict(saved);
        Assert.True(report.IsComplete);
        foreach (var (name, p) in source.state_dict())
            Assert.True(p.SameAs(target.state_dict()[name]).item<bool>(), name);

        var e = Assert.Throws<StateDictShapeException>(() =>
            target.Load(new Dictionary<string, Tensor> { ["transformer.h.0.mlp.c_fc.weight"] = zeros(config.InnerSize, config.NEmbd + 1) }));
        Assert.Contains("transformer.h.0.mlp.c_fc.weight", e.Message);
        Assert.Contains($"[{config.NEmbd}, {config.InnerSize}]", e.Message);      // the model's, in Conv1D layout
    }

    [Fact]
    public void Config_round_trips_and_validates()
    {
        var config = GptConfig.Load(TestPaths.InRepo("tests", "fixtures", "gpt2-parity", "config.json"));
        Assert.Equal(32, config.NEmbd);
        Assert.Equal("gelu_new", config.ActivationFunction);
        var again = GptConfig.FromJson(config.ToJson());
        Assert.Equal(32, again.Extra!["n_ctx"].GetInt32());   // unknown key kept
        var e = Assert.Throws<InvalidDataException>(() => GptConfig.FromJson("""{"n_embd": 30, "n_head": 4}""", "g.json"));
        Assert.Contains("g.json", e.Message);
        Assert.Contains("n_head", e.Message);
    }
}
