using CourseKit.Data;
using CourseKit.Models;
using CourseKit.Native;
using CourseKit.Training;
using CourseKit.Tasks.Pretraining;
using TorchSharp;

namespace CourseKit.Tests.Tasks.Pretraining;

/// <summary>Seeded training draws from torch's global generator: run with the other seeded model tests, one at a time.</summary>
[Collection(CourseKit.Tests.Models.TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public class CompactVocabularyTests
{
    public CompactVocabularyTests() => TorchRuntime.Initialize();

    const string Text = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n";

    [Fact]
    public void Encode_then_decode_gives_the_text_back()
    {
        var vocab = CompactVocabulary.Build(Text);
        var ids = vocab.Encode(Text);
        Assert.Equal(Text, vocab.Decode(ids));
        var baseIds = CompactVocabulary.Base.EncodeToIds(Text);
        Assert.Equal(baseIds.Distinct().Count() + 1, vocab.Size);             // the tokens seen, plus the unknown token
        Assert.Equal(baseIds, ids.Select(vocab.BaseId));                       // compact ids stand for the same cl100k tokens
        Assert.All(ids, id => Assert.InRange(id, 1, vocab.Size - 1));
    }

    [Fact]
    public void Tokens_the_text_never_had_become_the_unknown_token()
    {
        var vocab = CompactVocabulary.Build(Text);
        var ids = vocab.Encode(" speak, Zebra");
        Assert.Equal(CompactVocabulary.Base.EncodeToIds(" speak, Zebra").Count, ids.Length);
        Assert.Equal(CompactVocabulary.Base.EncodeToIds(" speak,").Count, ids.Count(i => i != CompactVocabulary.UnknownId));
        Assert.Equal(CompactVocabulary.UnknownId, ids[^1]);
        Assert.StartsWith(" speak," + CompactVocabulary.UnknownText, vocab.Decode(ids));
        Assert.Throws<ArgumentOutOfRangeException>(() => vocab.Decode([vocab.Size]));
    }

    [Fact]
    public void Saved_map_loads_to_the_same_vocabulary()
    {
        var vocab = CompactVocabulary.Build(Text);
        var path = Path.Combine(TestPaths.NewTempDir(), CompactVocabulary.FileName);
        vocab.Save(path);
        var loaded = CompactVocabulary.Load(path);
        Assert.Equal(vocab.Size, loaded.Size);
        Assert.Equal(vocab.Encode(Text + " Zebra"), loaded.Encode(Text + " Zebra"));
        File.WriteAllText(path, "{\"base_encoding\":\"r50k_base\",\"base_ids\":[1]}");
        Assert.Contains("r50k_base", Assert.Throws<InvalidDataException>(() => CompactVocabulary.Load(path)).Message);
    }

    [Fact]
    public void Tiny_gpt_run_lowers_held_out_loss_and_its_folder_reloads()
    {
        var dir = TestPaths.NewTempDir();
        var options = new CausalLmPretrainingOptions
        {
            Model = new GptConfig { NLayer = 1, NEmbd = 32, NHead = 2, NPositions = 32 },
            MaxCharacters = 30_000, BatchSize = 8, Steps = 30, LearningRate = 1e-2, WarmupSteps = 3, EvalEverySteps = 10,
            EvalWindows = 8, SaveEverySteps = 10, LogEverySteps = 1, SampleTokens = 8, Seed = 5, OutputDir = dir, Prompts = ["First Citizen:"],
        };
        var result = CausalLmPretraining.Run(TextCorpora.TinyShakespeare(), options);
        double uniform = Math.Log(result.Vocabulary.Size);
        Assert.True(result.HeldOutLoss < uniform - 0.5, $"held-out loss {result.HeldOutLoss:F2} vs uniform {uniform:F2}");
        Assert.All(result.SamplesAfter, s => Assert.StartsWith(s.Prompt, s.Greedy));

        var loaded = GptModel.FromPretrained(result.ModelDir!);
        var vocab = CompactVocabulary.Load(Path.Combine(result.ModelDir!, CompactVocabulary.FileName));
        Assert.Equal(result.Vocabulary.Size, loaded.Config.VocabSize);
        var greedy = new GenerationOptions();
        Assert.Equal(CausalLmPretraining.Generate(result.Model, result.Vocabulary, "First Citizen:", 8, greedy),
            CausalLmPretraining.Generate(loaded, vocab, "First Citizen:", 8, greedy));
    }

    [Fact]
    public void An_overfit_gpt_run_stops_early_and_keeps_the_checkpoint_of_the_lowest_held_out_loss()
    {
        // 6,000 characters, a big step and 200 steps: the held-out loss falls, then rises as the model memorises.
        var dir = TestPaths.NewTempDir();
        var options = new CausalLmPretrainingOptions
        {
            Model = new GptConfig { NLayer = 1, NEmbd = 32, NHead = 2, NPositions = 32, ResidPdrop = 0, EmbdPdrop = 0, AttnPdrop = 0 },
            MaxCharacters = 6_000, BatchSize = 8, Steps = 200, LearningRate = 1e-2, WarmupSteps = 3, EvalEverySteps = 5,
            EvalWindows = 64, SaveEverySteps = 5, LogEverySteps = 5, SampleTokens = 4, Seed = 5, OutputDir = dir, Prompts = ["First Citizen:"],
            EarlyStoppingPatience = 2,
        };
        var result = CausalLmPretraining.Run(TextCorpora.TinyShakespeare(), options);
        var evals = result.Training.History.Where(h => h.Kind == LogEntry.Eval).Select(h => (h.Step, Loss: h.Values["loss"])).ToList();

        Assert.True(result.Training.StoppedEarly, $"evaluations: {string.Join(", ", evals.Select(e => $"{e.Step}:{e.Loss:F3}"))}");
        Assert.True(result.Training.Steps < 200);
        var best = evals.MinBy(e => e.Loss);
        Assert.Equal(best.Loss, result.Training.BestMetric);
        Assert.Equal(evals[^3].Step, best.Step);          // then two evaluations without improvement
        Assert.EndsWith($"step-{best.Step:D7}", result.Training.BestCheckpoint);
        // Every held-out window fits in the evaluation subset here, so the saved model's held-out loss is the best one.
        Assert.Equal(best.Loss, result.HeldOutLoss, tolerance: 1e-4); // same windows, different batching: float32 sums differ in the last bits
        var metrics = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, CausalLmPretraining.MetricsFile)))!;
        Assert.True(metrics["stopped_early"]!.GetValue<bool>());
        Assert.Equal($"step-{best.Step:D7}", metrics["best_checkpoint"]!.GetValue<string>());
    }
}
