using System.CommandLine;
using CourseKit.Native;
using CourseKit.Tasks.QuestionAnswering;

namespace CourseKit.Cli.Verbs;

/// <summary><c>course qa retriever [--model minilm|arctic-xs|DIR] [--folds 0,1] [--epochs] [--lr] [--batch-size]
/// [--eval-each-epoch] [--nested-in FOLD] [--profile quick|full] [--seed] [--out] [--threads]</c>: fine-tune the paragraph retriever on question–paragraph
/// pairs, cross-validated by article (<see cref="RetrieverCrossValidation"/>).</summary>
static class QaRetrieverCommand
{
    /// <summary>The outer split the retriever is cross-validated on (the reader's too: QuestionAnsweringOptions).</summary>
    const int OuterFolds = 5, SplitSeed = 42;

    public static Command Create()
    {
        var run = new RunOptions("artifacts/qa/retriever");
        var model = new Option<string?>("--model") { Description = "The encoder to fine-tune: minilm (default), arctic-xs or a sentence-transformers folder." };
        var data = new Option<string?>("--data") { Description = "SQuAD v1.1-format file (default: XQuAD English)." };
        var folds = new Option<string?>("--folds") { Description = "Folds to run, e.g. 0,1 (default: quick 0, full all 5); finished folds in OUT/runs/ are kept." };
        var epochs = new Option<int?>("--epochs") { Description = "Epochs over the training pairs (default: full 2, chosen on validation articles; quick 1)." };
        var lr = new Option<double?>("--lr") { Description = "AdamW learning rate (default 2e-5)." };
        var save = new Option<bool>("--save-model") { Description = "Then fine-tune on every question and save the retriever to OUT/model (for qa eval/ask --retriever OUT/model)." };
        var batch = new Option<int?>("--batch-size") { Description = "Questions per batch: the other paragraphs of a batch are the negatives (default 16)." };
        var eachEpoch = new Option<bool>("--eval-each-epoch") { Description = "Also rank the held-out questions after every epoch (pooled recall per epoch: how to choose --epochs on a validation split)." };
        var nestedIn = QaVerb.NestedInOption();
        var cmd = new Command("retriever", "Fine-tune the paragraph retriever (in-batch negatives), k-fold by article: recall@1/5/10 of held-out questions " +
                                           "among all paragraphs, before and after, against BM25 and fused with it. quick: fold 0, 64 training and 60 held-out questions.");
        run.AddTo(cmd);
        foreach (var o in new Option[] { model, data, folds, epochs, lr, batch, eachEpoch, nestedIn, save }) cmd.Options.Add(o);
        cmd.SetAction(parse => QaVerb.Guard(parse, () =>
        {
            TorchRuntime.Initialize();
            run.ApplyThreads(parse);
            bool quick = parse.GetValue(run.Profile) == Profile.Quick;
            var defaults = new RetrieverTrainingOptions();
            var options = defaults with
            {
                Seed = parse.GetValue(run.Seed), Epochs = parse.GetValue(epochs) ?? (quick ? 1 : defaults.Epochs),
                LearningRate = parse.GetValue(lr) ?? defaults.LearningRate, BatchSize = parse.GetValue(batch) ?? (quick ? 8 : defaults.BatchSize),
            };
            var output = parse.InvocationConfiguration.Output;
            var dir = run.OutDir(parse);
            var encoderDir = QaVerb.RetrieverFolder(parse.GetValue(model));
            var dataset = QaVerb.LoadData(parse.GetValue(data));
            if (parse.GetValue(nestedIn) is not null && parse.GetValue(save))
                throw new ArgumentException("--save-model trains on every question; it does not go with --nested-in (a validation run)");
            dataset = QaVerb.NestedIfAsked(dataset, parse.GetValue(nestedIn), OuterFolds, SplitSeed, output);
            var result = RetrieverCrossValidation.Run(encoderDir, dataset,
                QaVerb.ParseFolds(parse.GetValue(folds)) ?? (quick ? [0] : [0, 1, 2, 3, 4]), OuterFolds, SplitSeed, options, dir,
                trainQuestions: quick ? 64 : 0, testQuestions: quick ? 60 : 0, log: output.WriteLine, evalEachEpoch: parse.GetValue(eachEpoch));
            string Row(IReadOnlyDictionary<int, double> r) => string.Join("  ", r.Select(kv => $"@{kv.Key} {kv.Value:F3}"));
            output.WriteLine($"{result.Questions} held-out questions over {result.Folds.Count} fold(s), {result.Encoder}:");
            output.WriteLine($"  encoder             {Row(result.Pooled(f => f.Base))}");
            output.WriteLine($"  encoder, fine-tuned {Row(result.Pooled(f => f.Tuned))}");
            output.WriteLine($"  bm25                {Row(result.Pooled(f => f.Bm25))}");
            output.WriteLine($"  hybrid              {Row(result.Pooled(f => f.HybridBase))}");
            output.WriteLine($"  hybrid, fine-tuned  {Row(result.Pooled(f => f.HybridTuned))}");
            var byEpoch = result.PooledByEpoch(f => f.TunedByEpoch);
            var hybridByEpoch = result.PooledByEpoch(f => f.HybridTunedByEpoch);
            for (int e = 0; e < byEpoch.Count; e++)
                output.WriteLine($"  after epoch {e + 1,-2}      {Row(byEpoch[e])}   hybrid {Row(hybridByEpoch[e])}");
            Directory.CreateDirectory(dir);
            CourseKit.Checkpoints.AtomicFile.WriteAllText(Path.Combine(dir, "metrics.json"), result.ToJson() + "\n");
            output.WriteLine($"wrote {Path.Combine(dir, "metrics.json")}");
            if (parse.GetValue(save))
            {
                var losses = RetrieverCrossValidation.TrainAndSave(encoderDir, dataset, options, Path.Combine(dir, "model"));
                output.WriteLine($"fine-tuned on all {dataset.Questions.Count} questions ({losses.Count} steps): wrote {Path.Combine(dir, "model")}");
            }
        }));
        return cmd;
    }
}
