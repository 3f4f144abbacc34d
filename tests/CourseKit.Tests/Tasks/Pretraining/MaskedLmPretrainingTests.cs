using CourseKit.Data;
using CourseKit.Models;
using CourseKit.Native;
using CourseKit.Training;
using CourseKit.Tasks.Pretraining;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tests.Tasks.Pretraining;

/// <summary>Seeded training draws from torch's global generator: run with the other seeded model tests, one at a time.</summary>
[Collection(CourseKit.Tests.Models.TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public class MaskedLmPretrainingTests
{
    public MaskedLmPretrainingTests() => TorchRuntime.Initialize();

    static BertConfig TinyBert() => new()
    {
        VocabSize = PretrainingRecipes.BertCasedVocabSize, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 2,
        IntermediateSize = 64, MaxPositionEmbeddings = 64, Architectures = ["BertForMaskedLM"],
    };

    static MaskedLmPretrainingOptions Tiny(string? dir, long steps = 24) => new()
    {
        Model = TinyBert(),
        Corpus = new PretrainingCorpusOptions { Sources = [PretrainingCorpusSources.TinyShakespeare], MaxSentencesPerSource = 300, MaxLength = 48 },
        BatchSize = 8, Steps = steps, LearningRate = 5e-3, WarmupSteps = 4, EvalEverySteps = 8, EvalSequences = 16,
        SaveEverySteps = 4, LogEverySteps = 1, Seed = 11, OutputDir = dir,
    };

    [Fact]
    public void Masked_position_loss_equals_the_full_model_loss()
    {
        torch.manual_seed(3);
        var model = new BertForMaskedLM(TinyBert());
        model.eval();
        var tokenizer = PretrainingCorpusTests.Tokenizer();
        var corpus = PretrainingCorpus.Build(tokenizer, Tiny(null).Corpus);
        var mlm = MaskedLmPretraining.Masking(tokenizer, TinyBert().VocabSize);
        var batch = PretrainingMasking.Collate(corpus.Train.Take(4).Select((s, i) => PretrainingMasking.Mask(mlm, s, 1, 0, i)).ToList(), tokenizer.PadId);
        using var noGrad = torch.no_grad();
        var full = model.forward(batch.InputIds, batch.AttentionMask, null, batch.Labels).Loss!.item<float>();
        var masked = MaskedLmPretraining.MaskedLoss(model, batch).item<float>();
        Assert.Equal(full, masked, tolerance: 1e-4); // two reductions of the same float32 terms
    }

    [Fact]
    public void Tiny_run_lowers_the_loss_and_its_folder_reproduces_the_model()
    {
        var dir = TestPaths.NewTempDir();
        var tokenizer = PretrainingCorpusTests.Tokenizer();
        var options = Tiny(dir, steps: 40);
        var corpus = PretrainingCorpus.Build(tokenizer, options.Corpus);
        var mlm = MaskedLmPretraining.Masking(tokenizer, options.Model.VocabSize);
        torch.manual_seed(options.Seed);
        var initial = MaskedLmPretraining.Evaluate(new BertForMaskedLM(options.Model), corpus.HeldOut, mlm, tokenizer.PadId);
        Assert.InRange(initial.Loss, Math.Log(options.Model.VocabSize) - 0.5, Math.Log(options.Model.VocabSize) + 0.5); // random init ≈ uniform

        var result = MaskedLmPretraining.Run(tokenizer, options, corpus);
        Assert.True(result.HeldOut.Loss < initial.Loss - 2, $"held-out loss {initial.Loss:F2} -> {result.HeldOut.Loss:F2}");
        Assert.Equal(Math.Exp(result.HeldOut.Loss), result.HeldOut.Perplexity, tolerance: 1e-9 * result.HeldOut.Perplexity);
        Assert.InRange(result.HeldOut.Accuracy, 0.01, 1);

        foreach (var file in new[] { "config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json" })
            Assert.True(File.Exists(Path.Combine(result.ModelDir!, file)), file);
        var loaded = BertForMaskedLM.FromPretrained(result.ModelDir!);
        loaded.eval();
        result.Model.eval();
        using (var noGrad = torch.no_grad())
        {
            var ids = torch.tensor(corpus.HeldOut[0].Ids.Select(i => (long)i).ToArray(), new long[] { 1, corpus.HeldOut[0].Ids.Length });
            var expected = result.Model.forward(ids, null, null, null).Logits;
            var actual = loaded.forward(ids, null, null, null).Logits;
            Assert.True(expected.allclose(actual, rtol: 0, atol: 1e-6), "reloaded logits differ");
        }
        var encoder = BertModel.FromPretrained(result.ModelDir!, addPoolingLayer: false);
        Assert.Equal(ParameterCounts.Total(result.Model.bert), ParameterCounts.Total(encoder));
        Assert.Equal(tokenizer.Encode("Hello there").InputIds, Pretrained.LoadTokenizer(result.ModelDir!).Encode("Hello there").InputIds);

        var metrics = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, MaskedLmPretraining.MetricsFile)))!;
        Assert.Equal(result.HeldOut.Loss, metrics["heldout_loss"]!.GetValue<double>());
        Assert.Equal(Math.Log(28996), metrics["uniform_baseline_loss"]!.GetValue<double>(), 12);
    }

    [Fact]
    public void Kill_and_resume_ends_exactly_like_an_uninterrupted_run()
    {
        var tokenizer = PretrainingCorpusTests.Tokenizer();
        var corpus = PretrainingCorpus.Build(tokenizer, Tiny(null).Corpus);
        var whole = MaskedLmPretraining.Run(tokenizer, Tiny(TestPaths.NewTempDir(), steps: 14), corpus);

        var dir = TestPaths.NewTempDir();
        using var kill = new CancellationTokenSource();
        var killed = Tiny(dir, steps: 14) with { AfterBatch = n => { if (n == 10) kill.Cancel(); } };
        Assert.Throws<OperationCanceledException>(() => MaskedLmPretraining.Run(tokenizer, killed, corpus, kill.Token));
        Assert.EndsWith("step-0000008", TrainerCheckpoint.FindLatest(dir));
        Assert.False(File.Exists(Path.Combine(dir, MaskedLmPretraining.MetricsFile)));

        var resumed = MaskedLmPretraining.Run(tokenizer, Tiny(dir, steps: 14) with { Resume = true }, corpus);
        Assert.Equal(whole.HeldOut, resumed.HeldOut);
        Assert.Equal(whole.Training.History.Select(h => (h.Kind, h.Step, h.Values.GetValueOrDefault("loss"))),
            resumed.Training.History.Select(h => (h.Kind, h.Step, h.Values.GetValueOrDefault("loss"))));
    }

    [Fact]
    public void Bf16_training_follows_the_fp32_loss_curve_returns_an_fp32_model_and_resumes_exactly()
    {
        var tokenizer = PretrainingCorpusTests.Tokenizer();
        var corpus = PretrainingCorpus.Build(tokenizer, Tiny(null).Corpus);
        var fp32 = MaskedLmPretraining.Run(tokenizer, Tiny(null, steps: 24), corpus);
        var bf16 = MaskedLmPretraining.Run(tokenizer, Tiny(TestPaths.NewTempDir(), steps: 24) with { Precision = Precision.Bf16 }, corpus);
        Assert.All(bf16.Model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        // 24 steps take the loss from ln V = 10.27 to about 8.4; bf16 rounding may move it by a few hundredths.
        Assert.True(Math.Abs(bf16.HeldOut.Loss - fp32.HeldOut.Loss) < 0.15, $"held-out loss fp32 {fp32.HeldOut.Loss:F3} vs bf16 {bf16.HeldOut.Loss:F3}");
        Assert.True(bf16.HeldOut.Loss < Math.Log(TinyBert().VocabSize) - 1.5, $"bf16 did not learn: {bf16.HeldOut.Loss:F3}");
        Assert.NotEqual(fp32.HeldOut.Loss, bf16.HeldOut.Loss);   // it did run in bf16

        var dir = TestPaths.NewTempDir();
        using var kill = new CancellationTokenSource();
        var killed = Tiny(dir, steps: 14) with { Precision = Precision.Bf16, AfterBatch = n => { if (n == 10) kill.Cancel(); } };
        Assert.Throws<OperationCanceledException>(() => MaskedLmPretraining.Run(tokenizer, killed, corpus, kill.Token));
        var whole = MaskedLmPretraining.Run(tokenizer, Tiny(TestPaths.NewTempDir(), steps: 14) with { Precision = Precision.Bf16 }, corpus);
        var resumed = MaskedLmPretraining.Run(tokenizer, Tiny(dir, steps: 14) with { Precision = Precision.Bf16, Resume = true }, corpus);
        Assert.Equal(whole.HeldOut, resumed.HeldOut);
    }
}
