using System.Text.Json.Nodes;
using CourseKit.Checkpoints;
using CourseKit.Models;
using CourseKit.Reporting;
using CourseKit.Tasks.Pretraining;
using CourseKit.Tasks.SequenceClassification;
using CourseKit.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tasks.PromptLearning;

/// <summary>What training an MLM head on a frozen encoder measured: held-out masked-LM loss before and after.</summary>
public sealed record MaskedLmHeadResult(string ModelDir, int Steps, MaskedLmEvaluation Before, MaskedLmEvaluation After, double WallSeconds)
{
    public JsonObject ToJson() => new()
    {
        ["model_dir"] = ModelDir, ["steps"] = Steps,
        ["held_out_loss_before"] = Math.Round(Before.Loss, 4), ["held_out_loss_after"] = Math.Round(After.Loss, 4),
        ["held_out_accuracy_after"] = Math.Round(After.Accuracy, 4), ["masked_tokens"] = After.MaskedTokens, ["wall_seconds"] = Math.Round(WallSeconds, 1),
    };
}

/// <summary>
/// A masked-LM head for a sentence encoder that was saved without one (all-MiniLM-L6-v2 keeps only the encoder):
/// BertForMaskedLM on the encoder's weights, the encoder and word embeddings frozen, only cls.predictions (transform
/// and bias; the decoder is tied to the frozen embeddings) trained on the course corpus, whose evaluation sentences
/// are left out. The encoder was tuned for sentence similarity, so its last states are not shaped for word prediction:
/// the held-out loss says how much of the masked-LM ability a small head can recover.
/// </summary>
public static class MaskedLmHead
{
    /// <summary>The trained folder for <paramref name="encoderDir"/>, <paramref name="steps"/>, seed and batch size,
    /// trained and saved under artifacts/prompt/ the first time (a later call with the same four reuses it; another
    /// seed trains its own head rather than silently reusing one).</summary>
    public static (string Dir, MaskedLmHeadResult? Trained) Ensure(string encoderDir, int steps, int seed = 42, int batchSize = 16)
    {
        var name = $"{Path.GetFileName(Path.TrimEndingDirectorySeparator(encoderDir))}-mlm-head-{steps}-s{seed}-b{batchSize}";
        var dir = Path.Combine(CoursePaths.Artifacts, "prompt", name);
        if (File.Exists(Path.Combine(dir, Pretrained.WeightsFile))) return (dir, null);
        var result = Train(encoderDir, dir, steps, seed, batchSize);
        return (dir, result);
    }

    public static MaskedLmHeadResult Train(string encoderDir, string outputDir, int steps, int seed = 42, int batchSize = 16)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        torch.manual_seed(seed);
        var tokenizer = Pretrained.LoadTokenizer(encoderDir);
        using var model = Pretrained.Load(encoderDir, BertConfig.Load, c => new BertForMaskedLM(c)).Model;  // cls.* missing: initialised fresh
        foreach (var p in model.bert.parameters()) p.requires_grad_(false);
        var corpus = PretrainingCorpus.Build(tokenizer, new PretrainingCorpusOptions
        {
            MaxLength = 128, MaxSentencesPerSource = Math.Max(200, steps * batchSize / 4), ExcludeSentences = FineTuningData.EvaluationSentences(),
        });
        var mlm = MaskedLmPretraining.Masking(tokenizer, model.Config.VocabSize);
        var heldOut = corpus.HeldOut.Take(128).ToArray();
        var before = MaskedLmPretraining.Evaluate(model, heldOut, mlm, tokenizer.PadId);
        using var optimizer = optim.AdamW(model.cls.parameters().Where(p => p.requires_grad), 1e-3, weight_decay: 0.01);
        model.train();
        using var progress = Reporter.StartProgress($"Training a masked-LM head on the frozen encoder ({steps} steps of {batchSize})", steps);
        for (int step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            var examples = Enumerable.Range(step * batchSize, batchSize)
                .Select(i => PretrainingMasking.Mask(mlm, corpus.Train[i % corpus.Train.Count], seed, i / corpus.Train.Count, i % corpus.Train.Count)).ToList();
            var loss = MaskedLmPretraining.MaskedLoss(model, PretrainingMasking.Collate(examples, tokenizer.PadId));
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            progress.Report(step + 1);
        }
        model.eval();
        var after = MaskedLmPretraining.Evaluate(model, heldOut, mlm, tokenizer.PadId);
        Pretrained.Save(model, outputDir, tokenizer, 512);
        foreach (var file in new[] { SentenceEncoder.PoolingConfigFile, SentenceEncoder.SentenceConfigFile, SentencePrompts.ConfigFile })
            if (File.Exists(Path.Combine(encoderDir, file)))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(outputDir, file))!);
                File.Copy(Path.Combine(encoderDir, file), Path.Combine(outputDir, file), overwrite: true);
            }
        var result = new MaskedLmHeadResult(outputDir, steps, before, after, clock.Elapsed.TotalSeconds);
        AtomicFile.WriteAllText(Path.Combine(outputDir, "mlm-head.json"), result.ToJson().ToJsonString() + "\n");
        return result;
    }
}
