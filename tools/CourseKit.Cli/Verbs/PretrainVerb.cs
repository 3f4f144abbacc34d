using System.CommandLine;
using System.Diagnostics;
using CourseKit.Data;
using CourseKit.Native;
using CourseKit.Text;
using CourseKit.Tasks.Pretraining;

namespace CourseKit.Cli.Verbs;

/// <summary><c>course pretrain bert|gpt --profile quick|full --seed N --out RUN_DIR [--resume]</c>.</summary>
public static class PretrainVerb
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "bert: masked-LM on the course corpus; gpt: causal LM on Tiny Shakespeare." };
        model.AcceptOnlyFromAmong("bert", "gpt");
        // --out is the run's folder: the model goes to <out>/model. The default keeps artifacts/pretrain/<model>, so
        // bert's model is CoursePaths.KitBert, where fine-tuning and the reproduction look for it.
        var run = new RunOptions("artifacts/pretrain/<model>", parse => parse.GetValue(model) == "bert"
            ? CoursePaths.PretrainBertRun : CoursePaths.InRepo("artifacts", "pretrain", "gpt"));
        var resume = new Option<bool>("--resume") { Description = "Continue from the newest checkpoint in the output folder." };
        var precision = PrecisionOption.Create("bert only");
        var cmd = new Command("pretrain", "Pretrain a small BERT (masked LM) or GPT (causal LM) from scratch; writes an HF model folder (<out>/model) and metrics.json.") { model, resume, precision };
        run.AddTo(cmd);
        cmd.SetAction(parse => VerbActions.Run(parse, _ =>
        {
            TorchRuntime.Initialize();
            run.ApplyThreads(parse);
            var profile = parse.GetValue(run.Profile);
            var which = parse.GetValue(model)!;
            var outDir = run.OutDir(parse);
            int seed = parse.GetValue(run.Seed);
            var clock = Stopwatch.StartNew();
            var arithmetic = parse.GetValue(precision);
            if (which == "gpt" && arithmetic != Training.Precision.Fp32)
            {
                Console.Error.WriteLine("error: --precision bf16 is implemented for bert only");
                return 2;
            }
            if (which == "bert") RunBert(profile, seed, outDir, parse.GetValue(resume), arithmetic);
            else RunGpt(profile, seed, outDir, parse.GetValue(resume));
            Console.WriteLine($"wall time {clock.Elapsed:hh\\:mm\\:ss}; output in {outDir}");
            return 0;
        }));
        return cmd;
    }

    static void RunBert(Profile profile, int seed, string outDir, bool resume, Training.Precision precision)
    {
        var tokenizer = BertTextTokenizer.Cased(BertVocabFiles.Cased());
        var options = PretrainingRecipes.Bert(profile, seed, outDir, resume) with { Precision = precision };
        var corpus = PretrainingCorpus.Build(tokenizer, options.Corpus);
        Console.WriteLine(corpus.ToTable());
        Console.WriteLine($"left out: {options.Corpus.ExcludeSentences?.Count ?? 0:N0} validation/test sentences of the fine-tuning tasks (never pretrained on)");
        var r = MaskedLmPretraining.Run(tokenizer, options, corpus);
        Console.WriteLine($"held-out masked-LM loss {r.HeldOut.Loss:F3} (uniform guess ln {options.Model.VocabSize} = {Math.Log(options.Model.VocabSize):F2}), " +
                          $"perplexity {r.HeldOut.Perplexity:F1}, accuracy {r.HeldOut.Accuracy:P1} over {r.HeldOut.MaskedTokens:N0} masked tokens");
        Console.WriteLine($"{r.Training.Steps} steps, {r.Training.TokensPerSecond:F0} tokens/s; model: {r.ModelDir}");
    }

    static void RunGpt(Profile profile, int seed, string outDir, bool resume)
    {
        var options = PretrainingRecipes.Gpt(profile, seed, outDir, resume);
        var r = CausalLmPretraining.Run(TextCorpora.TinyShakespeare(), options);
        Console.WriteLine($"compact vocabulary: {r.Vocabulary.Size:N0} of cl100k_base's tokens");
        Print("before training", r.SamplesBefore);
        Print("after training", r.SamplesAfter);
        if (r.Training.BestCheckpoint is { } best)
            Console.WriteLine($"model = the checkpoint of the lowest evaluation loss ({r.Training.BestMetric:F3}): {Path.GetFileName(best)}" +
                              (r.Training.StoppedEarly ? $"; stopped early after {r.Training.Steps} steps" : ""));
        Console.WriteLine($"held-out next-token loss {r.HeldOutLoss:F3} (uniform guess {Math.Log(r.Vocabulary.Size):F2}), perplexity {r.HeldOutPerplexity:F1}");
        Console.WriteLine($"{r.Training.Steps} steps, {r.Training.TokensPerSecond:F0} tokens/s; model: {r.ModelDir}");
    }

    static void Print(string title, IReadOnlyList<GenerationSample> samples)
    {
        Console.WriteLine($"--- samples {title} ---");
        foreach (var s in samples)
        {
            Console.WriteLine($"[greedy] {s.Greedy}");
            Console.WriteLine($"[top-k ] {s.TopK}");
        }
    }
}
