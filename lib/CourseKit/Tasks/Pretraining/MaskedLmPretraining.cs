using System.Text.Json;
using System.Text.Json.Nodes;
using CourseKit.Data;
using CourseKit.Models;
using CourseKit.Reporting;
using CourseKit.Text;
using TorchSharp;
using static TorchSharp.torch;
using CourseKit.Training;

namespace CourseKit.Tasks.Pretraining;

/// <summary>The recipe of a masked-LM pretraining run (see <see cref="PretrainingRecipes"/> for the course's profiles).</summary>
public sealed record MaskedLmPretrainingOptions
{
    public required BertConfig Model { get; init; }
    /// <summary>Continue from this model folder's weights instead of a fresh initialisation (domain-adaptive
    /// pretraining, Gururangan et al. 2020); <see cref="Model"/> must describe the same architecture.</summary>
    public string? InitFrom { get; init; }
    public PretrainingCorpusOptions Corpus { get; init; } = new();
    public int BatchSize { get; init; } = 32;
    public long Steps { get; init; } = 1000;
    public double LearningRate { get; init; } = 1e-3;
    public long WarmupSteps { get; init; } = 100;
    public LrSchedule Schedule { get; init; } = LrSchedule.Linear;
    public double WeightDecay { get; init; } = 0.01;
    /// <summary>RoBERTa's β₂ = 0.98: steadier with large learning rates and few steps than 0.999.</summary>
    public double Beta2 { get; init; } = 0.98;
    public double MaxGradNorm { get; init; } = 1.0;
    public double MaskProbability { get; init; } = 0.15;
    public bool WholeWordMasking { get; init; } = true;
    /// <summary>Evaluate on <see cref="EvalSequences"/> held-out sequences every N steps (0 = only at the end).</summary>
    public long EvalEverySteps { get; init; } = 200;
    public int EvalSequences { get; init; } = 256;
    public int EvalBatchSize { get; init; } = 64;
    public long SaveEverySteps { get; init; } = 200;
    public long LogEverySteps { get; init; } = 10;
    public int Seed { get; init; } = 42;
    /// <summary>fp32, or bf16 with fp32 master weights (<see cref="Bf16MasterWeights"/>).</summary>
    public Precision Precision { get; init; } = Precision.Fp32;
    /// <summary>Checkpoints, metrics.jsonl, metrics.json, corpus.json and the final model (<c>model/</c>); null keeps nothing.</summary>
    public string? OutputDir { get; init; }
    public bool Resume { get; init; }
    /// <summary>Called after every micro-batch with the count so far in this process (tests use it to simulate a kill).</summary>
    public Action<long>? AfterBatch { get; init; }
}

/// <summary>Masked-LM quality on a set of sequences: mean cross-entropy over masked tokens, its exp, top-1 accuracy.</summary>
public sealed record MaskedLmEvaluation(double Loss, double Perplexity, double Accuracy, long MaskedTokens)
{
    public Dictionary<string, double> ToDictionary() => new() { ["loss"] = Loss, ["perplexity"] = Perplexity, ["accuracy"] = Accuracy };
}

public sealed record MaskedLmPretrainingResult(
    BertForMaskedLM Model, PretrainingCorpus Corpus, TrainingResult Training, MaskedLmEvaluation HeldOut, string? ModelDir,
    JsonObject Metrics);

/// <summary>
/// Masked-language-model pretraining of BERT from scratch (Devlin et al. 2019) on the course corpus with the
/// <see cref="Trainer"/>: packed sequences, 15 % of tokens masked 80/10/10 (whole words by default), masks drawn per
/// (seed, pass, sequence) so a resumed run is identical, held-out loss/perplexity/accuracy, and the result saved as a
/// Hugging Face folder.
/// </summary>
public static class MaskedLmPretraining
{
    /// <summary>The held-out set is masked with this seed whatever the run's seed, so runs compare on the same masks.</summary>
    public const int HeldOutMaskSeed = 2019;
    public const string ModelFolder = "model", MetricsFile = "metrics.json", CorpusFile = "corpus.json";

    public static MaskedLanguageModeling Masking(BertTextTokenizer tokenizer, int vocabSize, double probability = 0.15, bool wholeWord = true) => new()
    {
        MaskProbability = probability,
        WholeWordMasking = wholeWord,
        MaskTokenId = tokenizer.MaskId,
        VocabSize = vocabSize,
        SpecialIds = new HashSet<int> { tokenizer.ClsId, tokenizer.SepId, tokenizer.PadId, tokenizer.MaskId, tokenizer.UnkId },
    };

    public static MaskedLmPretrainingResult Run(BertTextTokenizer tokenizer, MaskedLmPretrainingOptions o, PretrainingCorpus? corpus = null,
        CancellationToken cancel = default)
    {
        corpus ??= PretrainingCorpus.Build(tokenizer, o.Corpus);
        if (o.OutputDir is not null)
        {
            Directory.CreateDirectory(o.OutputDir);
            Checkpoints.AtomicFile.WriteAllText(Path.Combine(o.OutputDir, CorpusFile), corpus.ToJson() + "\n");
        }
        var mlm = Masking(tokenizer, o.Model.VocabSize, o.MaskProbability, o.WholeWordMasking);

        torch.manual_seed(o.Seed);
        var model = new BertForMaskedLM(o.Model);
        if (o.InitFrom is not null) new HuggingFaceModelStore().Load(model, o.InitFrom);
        // Enough passes over the data that every step draws fresh masks (BERT's duplication factor).
        int passes = (int)Math.Max(1, (o.Steps * o.BatchSize + corpus.Train.Count - 1) / corpus.Train.Count);
        var trainSet = new MaskedPasses(corpus.Train.Count, passes);
        var evalSubset = EvenlySpaced(corpus.HeldOut, o.EvalSequences);
        long batches = 0;

        var task = new TrainingTask<MaskedSequenceRef>
        {
            Model = model,
            TrainSet = trainSet,
            BatchSize = o.BatchSize,
            Store = new HuggingFaceModelStore(tokenizer, corpus.MaxLength),
            Loss = refs =>
            {
                var examples = refs.Select(r => PretrainingMasking.Mask(mlm, corpus.Train[r.Index], o.Seed, r.Pass, r.Index)).ToList();
                var batch = PretrainingMasking.Collate(examples, tokenizer.PadId);
                var loss = MaskedLoss(model, batch);
                o.AfterBatch?.Invoke(++batches);
                return loss;
            },
            CountTokens = refs => refs.Sum(r => (long)corpus.Train[r.Index].Ids.Length),
            Evaluate = evalSubset.Count == 0 ? null
                : () => Evaluate(model, evalSubset, mlm, tokenizer.PadId, o.EvalBatchSize).ToDictionary(),
        };
        var trainerOptions = new TrainerOptions
        {
            MaxSteps = o.Steps, LearningRate = o.LearningRate, WarmupSteps = o.WarmupSteps, Schedule = o.Schedule,
            WeightDecay = o.WeightDecay, Beta2 = o.Beta2, AdamEpsilon = 1e-6, MaxGradNorm = o.MaxGradNorm,
            EvalEverySteps = o.EvalEverySteps > 0 ? o.EvalEverySteps : o.Steps, SaveEverySteps = o.SaveEverySteps,
            LogEverySteps = o.LogEverySteps, KeepLast = 1, KeepBest = false, LoadBestAtEnd = false,
            Seed = o.Seed, OutputDir = o.OutputDir, Resume = o.Resume, Precision = o.Precision,
        };
        var training = Trainer.Run(task, trainerOptions, cancel);

        var heldOut = Evaluate(model, corpus.HeldOut, mlm, tokenizer.PadId, o.EvalBatchSize);
        string? modelDir = null;
        if (o.OutputDir is not null)
        {
            modelDir = Path.Combine(o.OutputDir, ModelFolder);
            model.SavePretrained(modelDir, tokenizer, corpus.MaxLength);
        }
        var metrics = Metrics(o, model, corpus, training, heldOut, passes);
        if (o.OutputDir is not null)
            Checkpoints.AtomicFile.WriteAllText(Path.Combine(o.OutputDir, MetricsFile), metrics.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return new MaskedLmPretrainingResult(model, corpus, training, heldOut, modelDir, metrics);
    }

    /// <summary>The masked-LM loss computed only where a token is to be predicted: the vocabulary projection (the
    /// biggest matmul of a small BERT) runs on the ~15 % masked positions instead of all of them. Same value as
    /// <see cref="BertForMaskedLM.forward"/>'s loss, a fraction of the cost.</summary>
    public static Tensor MaskedLoss(BertForMaskedLM model, MaskedLmBatch batch)
    {
        var (logits, targets) = MaskedLogits(model, batch);
        return nn.functional.cross_entropy(logits, targets);
    }

    /// <returns>logits [M, V] at the M masked positions (row-major over the batch) and their target ids [M]. Under bf16
    /// training the logits come back in fp32: a softmax over 30k classes in bf16's 3 significant digits blurs the loss.</returns>
    public static (Tensor Logits, Tensor Targets) MaskedLogits(BertForMaskedLM model, MaskedLmBatch batch)
    {
        var hidden = model.bert.forward(batch.InputIds, batch.AttentionMask, null).LastHiddenState;   // [B, T, H]
        var positions = batch.Labels.view(-1).ne(MaskedLanguageModeling.IgnoreIndex).nonzero().squeeze(1); // [M]
        var selected = hidden.reshape(-1, hidden.shape[2]).index_select(0, positions);                  // [M, H]
        var targets = batch.Labels.view(-1).index_select(0, positions);                                 // [M]
        var logits = model.cls.predictions.forward(selected);                                           // [M, V]
        return (logits.dtype == ScalarType.Float32 ? logits : logits.to(ScalarType.Float32), targets);
    }

    /// <summary>Masked-LM loss, perplexity and accuracy on <paramref name="sequences"/>, masked with
    /// <see cref="HeldOutMaskSeed"/> (the same masks every time). The loss is averaged over all masked tokens.</summary>
    public static MaskedLmEvaluation Evaluate(BertForMaskedLM model, IReadOnlyList<PackedSequence> sequences, MaskedLanguageModeling mlm,
        int padId, int batchSize = 64)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = torch.no_grad();
            double lossSum = 0;
            long correct = 0, masked = 0;
            for (int start = 0; start < sequences.Count; start += batchSize)
            {
                using var scope = torch.NewDisposeScope();
                var examples = Enumerable.Range(start, Math.Min(batchSize, sequences.Count - start))
                    .Select(i => PretrainingMasking.Mask(mlm, sequences[i], HeldOutMaskSeed, PretrainingMasking.HeldOutPass, i)).ToList();
                var batch = PretrainingMasking.Collate(examples, padId);
                if (batch.MaskedTokens == 0) continue;
                var (logits, targets) = MaskedLogits(model, batch);
                lossSum += nn.functional.cross_entropy(logits, targets, reduction: nn.Reduction.Sum).item<float>();
                correct += logits.argmax(-1).eq(targets).sum().item<long>();
                masked += batch.MaskedTokens;
            }
            double mean = masked == 0 ? double.NaN : lossSum / masked;
            return new MaskedLmEvaluation(mean, Math.Exp(mean), masked == 0 ? double.NaN : correct / (double)masked, masked);
        }
        finally { model.train(wasTraining); }
    }

    /// <summary>The <paramref name="topK"/> most likely tokens at each [MASK] of <paramref name="text"/>.</summary>
    public static IReadOnlyList<IReadOnlyList<(string Token, double Probability)>> FillMask(BertForMaskedLM model, BertTextTokenizer tokenizer,
        string text, int topK = 5)
    {
        var encoded = tokenizer.Encode(text);
        var maskPositions = Enumerable.Range(0, encoded.Length).Where(i => encoded.InputIds[i] == tokenizer.MaskId).ToList();
        if (maskPositions.Count == 0) throw new ArgumentException($"'{text}' has no {tokenizer.MaskToken}", nameof(text));
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var ids = torch.tensor(encoded.InputIds.Select(i => (long)i).ToArray(), new long[] { 1, encoded.Length });
            var probs = nn.functional.softmax(model.forward(ids, null, null, null).Logits[0], -1);        // [T, V]
            return maskPositions.Select(p =>
            {
                var (values, indices) = probs[p].topk(topK);
                var v = values.data<float>().ToArray();
                var ix = indices.data<long>().ToArray();
                return (IReadOnlyList<(string, double)>)ix.Select((id, k) => (tokenizer.Decode([(int)id], skipSpecialTokens: false), (double)v[k])).ToList();
            }).ToList();
        }
        finally { model.train(wasTraining); }
    }

    static IReadOnlyList<T> EvenlySpaced<T>(IReadOnlyList<T> items, int count)
    {
        if (count <= 0 || count >= items.Count) return items;
        return Enumerable.Range(0, count).Select(i => items[(int)((long)i * items.Count / count)]).ToList();
    }

    static JsonObject Metrics(MaskedLmPretrainingOptions o, BertForMaskedLM model, PretrainingCorpus corpus, TrainingResult training,
        MaskedLmEvaluation heldOut, int passes)
    {
        var lastTrain = training.History.LastOrDefault(h => h.Kind == LogEntry.Train);
        return new JsonObject
        {
            ["model"] = "bert-mlm",
            ["parameters"] = ParameterCounts.Total(model),
            ["vocab_size"] = o.Model.VocabSize,
            ["layers"] = o.Model.NumHiddenLayers, ["hidden"] = o.Model.HiddenSize, ["heads"] = o.Model.NumAttentionHeads,
            ["intermediate"] = o.Model.IntermediateSize, ["max_length"] = corpus.MaxLength,
            ["steps"] = training.Steps, ["batch_size"] = o.BatchSize, ["learning_rate"] = o.LearningRate, ["warmup_steps"] = o.WarmupSteps,
            ["whole_word_masking"] = o.WholeWordMasking, ["seed"] = o.Seed, ["passes"] = passes, ["precision"] = o.Precision.ToString().ToLowerInvariant(),
            ["train_sequences"] = corpus.Train.Count, ["train_tokens"] = corpus.TrainTokens,
            ["heldout_sequences"] = corpus.HeldOut.Count, ["heldout_masked_tokens"] = heldOut.MaskedTokens,
            ["heldout_loss"] = heldOut.Loss, ["heldout_perplexity"] = heldOut.Perplexity, ["heldout_accuracy"] = heldOut.Accuracy,
            ["uniform_baseline_loss"] = Math.Log(o.Model.VocabSize), ["uniform_baseline_perplexity"] = o.Model.VocabSize,
            ["final_train_loss"] = lastTrain?.Values["loss"],
            ["wall_seconds_this_process"] = training.WallSeconds, ["tokens_per_second"] = training.TokensPerSecond,
        };
    }
}
