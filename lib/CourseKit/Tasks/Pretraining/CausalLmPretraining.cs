using System.Text.Json;
using System.Text.Json.Nodes;
using CourseKit.Data;
using CourseKit.Models;
using TorchSharp;
using static TorchSharp.torch;
using CourseKit.Training;

namespace CourseKit.Tasks.Pretraining;

/// <summary>The recipe of a causal-LM pretraining run. <see cref="Model"/>'s vocab_size is set from the compact vocabulary.</summary>
public sealed record CausalLmPretrainingOptions
{
    public required GptConfig Model { get; init; }
    /// <summary>Use only the first N characters of the text (0 = all): the quick profile's subset.</summary>
    public int MaxCharacters { get; init; }
    /// <summary>The last fraction of the text is held out (nanoGPT's 90/10 split of Tiny Shakespeare).</summary>
    public double HeldOutFraction { get; init; } = 0.1;
    public int BatchSize { get; init; } = 16;
    public long Steps { get; init; } = 1000;
    public double LearningRate { get; init; } = 1e-3;
    public long WarmupSteps { get; init; } = 100;
    public LrSchedule Schedule { get; init; } = LrSchedule.Cosine;
    public double WeightDecay { get; init; } = 0.1;
    public double Beta2 { get; init; } = 0.99;
    public long EvalEverySteps { get; init; } = 200;
    public int EvalWindows { get; init; } = 64;
    /// <summary>Stop after this many evaluations without a lower held-out loss (0 = run all <see cref="Steps"/>). With an
    /// output folder the checkpoint of the lowest held-out loss is kept and is the model saved at the end: a small
    /// corpus (Tiny Shakespeare is ~0.3 M tokens) is overfit after a few epochs.</summary>
    public int EarlyStoppingPatience { get; init; }
    public long SaveEverySteps { get; init; } = 200;
    public long LogEverySteps { get; init; } = 10;
    public int Seed { get; init; } = 42;
    public string? OutputDir { get; init; }
    public bool Resume { get; init; }
    /// <summary>Prompts for the before/after samples.</summary>
    public IReadOnlyList<string> Prompts { get; init; } = ["First Citizen:", "MENENIUS:"];
    public int SampleTokens { get; init; } = 60;
    public Action<long>? AfterBatch { get; init; }
}

/// <summary>A generated continuation: greedy and top-k sampled.</summary>
public sealed record GenerationSample(string Prompt, string Greedy, string TopK);

public sealed record CausalLmPretrainingResult(
    GptModel Model, CompactVocabulary Vocabulary, TrainingResult Training, double HeldOutLoss, double HeldOutPerplexity,
    IReadOnlyList<GenerationSample> SamplesBefore, IReadOnlyList<GenerationSample> SamplesAfter, string? ModelDir, JsonObject Metrics);

/// <summary>
/// Causal-LM (next-token) pretraining of a small GPT on Tiny Shakespeare, tokenized with cl100k_base through a
/// <see cref="CompactVocabulary"/>. Training windows of n_positions tokens start every n_positions/2 tokens of the
/// first 90 % of the text; held-out perplexity is exp of the mean next-token loss over non-overlapping windows of the rest.
/// </summary>
public static class CausalLmPretraining
{
    public const string ModelFolder = "model", MetricsFile = "metrics.json";

    public static CausalLmPretrainingResult Run(string text, CausalLmPretrainingOptions o, CancellationToken cancel = default)
    {
        if (o.MaxCharacters > 0 && text.Length > o.MaxCharacters) text = text[..o.MaxCharacters];
        int split = (int)(text.Length * (1 - o.HeldOutFraction));
        var vocabulary = CompactVocabulary.Build(text[..split]);
        var trainIds = vocabulary.Encode(text[..split]);
        var heldOutIds = vocabulary.Encode(text[split..]);
        int block = o.Model.NPositions;
        var trainWindows = Windows(trainIds.Length, block, Math.Max(1, block / 2));
        var heldOutWindows = Windows(heldOutIds.Length, block, block);
        if (trainWindows.Count == 0 || heldOutWindows.Count == 0)
            throw new ArgumentException($"the text is too short for windows of {block} tokens ({trainIds.Length} train, {heldOutIds.Length} held-out tokens)");

        var config = GptConfig.FromJson(o.Model.ToJson());
        config.VocabSize = vocabulary.Size;
        torch.manual_seed(o.Seed);
        var model = new GptModel(config);
        var before = Samples(model, vocabulary, o);

        var evalSubset = heldOutWindows.Take(o.EvalWindows > 0 ? o.EvalWindows : heldOutWindows.Count).ToList();
        long batches = 0;
        var task = new TrainingTask<int>
        {
            Model = model,
            TrainSet = trainWindows,
            BatchSize = o.BatchSize,
            Store = new HuggingFaceModelStore(),
            Loss = starts =>
            {
                var ids = Batch(trainIds, starts, block);
                var loss = model.forward(ids, ids).Loss!;
                o.AfterBatch?.Invoke(++batches);
                return loss;
            },
            CountTokens = starts => (long)starts.Count * block,
            Evaluate = () => new Dictionary<string, double> { ["loss"] = MeanLoss(model, heldOutIds, evalSubset, block, o.BatchSize) },
        };
        var training = Trainer.Run(task, new TrainerOptions
        {
            MaxSteps = o.Steps, LearningRate = o.LearningRate, WarmupSteps = o.WarmupSteps, Schedule = o.Schedule,
            WeightDecay = o.WeightDecay, Beta2 = o.Beta2, MaxGradNorm = 1.0,
            EvalEverySteps = o.EvalEverySteps > 0 ? o.EvalEverySteps : o.Steps, SaveEverySteps = o.SaveEverySteps,
            LogEverySteps = o.LogEverySteps, KeepLast = 1,
            MetricForBest = "loss", GreaterIsBetter = false, EarlyStoppingPatience = o.EarlyStoppingPatience,
            KeepBest = o.OutputDir is not null, LoadBestAtEnd = o.OutputDir is not null,
            Seed = o.Seed, OutputDir = o.OutputDir, Resume = o.Resume,
        }, cancel);

        double heldOutLoss = MeanLoss(model, heldOutIds, heldOutWindows, block, o.BatchSize);
        var after = Samples(model, vocabulary, o);
        string? modelDir = null;
        if (o.OutputDir is not null)
        {
            modelDir = Path.Combine(o.OutputDir, ModelFolder);
            model.SavePretrained(modelDir);
            vocabulary.Save(Path.Combine(modelDir, CompactVocabulary.FileName));
        }
        var metrics = new JsonObject
        {
            ["model"] = "gpt-clm", ["parameters"] = ParameterCounts.Total(model), ["vocab_size"] = vocabulary.Size,
            ["base_encoding"] = CompactVocabulary.BaseEncoding, ["layers"] = config.NLayer, ["hidden"] = config.NEmbd,
            ["heads"] = config.NHead, ["block_size"] = block, ["steps"] = training.Steps, ["batch_size"] = o.BatchSize,
            ["learning_rate"] = o.LearningRate, ["seed"] = o.Seed, ["characters"] = text.Length,
            ["train_tokens"] = trainIds.Length, ["heldout_tokens"] = heldOutIds.Length,
            ["heldout_unknown_tokens"] = heldOutIds.Count(i => i == CompactVocabulary.UnknownId),
            ["heldout_loss"] = heldOutLoss, ["heldout_perplexity"] = Math.Exp(heldOutLoss),
            ["stopped_early"] = training.StoppedEarly, ["best_eval_loss"] = training.BestMetric,
            ["best_checkpoint"] = training.BestCheckpoint is { } best ? Path.GetFileName(best) : null,
            ["uniform_baseline_loss"] = Math.Log(vocabulary.Size),
            ["wall_seconds_this_process"] = training.WallSeconds, ["tokens_per_second"] = training.TokensPerSecond,
            ["samples_before"] = SamplesJson(before), ["samples_after"] = SamplesJson(after),
        };
        if (o.OutputDir is not null)
            Checkpoints.AtomicFile.WriteAllText(Path.Combine(o.OutputDir, MetricsFile), metrics.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return new CausalLmPretrainingResult(model, vocabulary, training, heldOutLoss, Math.Exp(heldOutLoss), before, after, modelDir, metrics);
    }

    /// <summary>Greedy and top-k (k = 40, temperature 0.8, fixed seed) continuations of each prompt.</summary>
    public static IReadOnlyList<GenerationSample> Samples(GptModel model, CompactVocabulary vocabulary, CausalLmPretrainingOptions o) =>
        o.Prompts.Select(p => new GenerationSample(p,
            Generate(model, vocabulary, p, o.SampleTokens, new GenerationOptions()),
            Generate(model, vocabulary, p, o.SampleTokens, new GenerationOptions { DoSample = true, TopK = 40, Temperature = 0.8, Seed = (ulong)o.Seed })))
        .ToList();

    public static string Generate(GptModel model, CompactVocabulary vocabulary, string prompt, int maxNewTokens, GenerationOptions options)
    {
        using var scope = torch.NewDisposeScope();
        var ids = vocabulary.Encode(prompt);
        var input = torch.tensor(ids.Select(i => (long)i).ToArray(), new long[] { 1, ids.Length });
        var output = model.Generate(input, maxNewTokens, options);
        return vocabulary.Decode(output[0].data<long>().Select(i => (int)i));
    }

    /// <summary>Mean next-token loss over the windows (each window's mean weighted equally: they have equal length).</summary>
    public static double MeanLoss(GptModel model, int[] ids, IReadOnlyList<int> starts, int block, int batchSize)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = torch.no_grad();
            double sum = 0;
            for (int i = 0; i < starts.Count; i += batchSize)
            {
                using var scope = torch.NewDisposeScope();
                var chunk = starts.Skip(i).Take(batchSize).ToList();
                var batch = Batch(ids, chunk, block);
                sum += model.forward(batch, batch).Loss!.item<float>() * chunk.Count;
            }
            return sum / starts.Count;
        }
        finally { model.train(wasTraining); }
    }

    static List<int> Windows(int length, int block, int stride)
    {
        var starts = new List<int>();
        for (int s = 0; s + block <= length; s += stride) starts.Add(s);
        return starts;
    }

    static Tensor Batch(int[] ids, IReadOnlyList<int> starts, int block)
    {
        var data = new long[starts.Count * block];
        for (int b = 0; b < starts.Count; b++)
            for (int t = 0; t < block; t++) data[b * block + t] = ids[starts[b] + t];
        return torch.tensor(data, new long[] { starts.Count, block });
    }

    static JsonArray SamplesJson(IEnumerable<GenerationSample> samples) =>
        new(samples.Select(s => (JsonNode)new JsonObject { ["prompt"] = s.Prompt, ["greedy"] = s.Greedy, ["top_k"] = s.TopK }).ToArray());
}
