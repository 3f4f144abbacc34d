using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using CourseKit.Benchmarks;
using CourseKit.Data;
using CourseKit.Models;
using CourseKit.Native;
using CourseKit.Tasks.SequenceClassification;
using CourseKit.Tasks.QuestionAnswering;
using CourseKit.Tasks.TokenClassification;

namespace CourseKit.Cli.Verbs;

/// <summary><c>course bench accuracy --model DIR [--backends ...] [--split test|valid] [--prune SPEC] [--profile] [--seed] [--out]
/// [--threads]</c>: what bf16 and int8 cost a fine-tuned model on its own labelled data (<see cref="CompressionAccuracy"/>).
/// The task comes from the folder's config.json: a token classifier is scored on CoNLL-2003 (entity F1), a sentence
/// classifier on SST-2 (2 labels) or Financial PhraseBank AllAgree (3 labels), accuracy; a reader from qa train on the XQuAD-en
/// articles it never trained on, SQuAD EM and F1.</summary>
static class BenchAccuracyCommand
{
    /// <summary>quick: the first sentences of the split (CI minutes); full: all of it.</summary>
    const int QuickSentences = 200;

    public static Command Create()
    {
        var run = new RunOptions("artifacts/bench/accuracy");
        var model = new Option<string>("--model") { Description = "A fine-tuned folder: BertForTokenClassification (CoNLL-2003), BertForSequenceClassification (SST-2 / PhraseBank) or BertForQuestionAnswering from qa train (XQuAD held-out articles).", Required = true };
        var backends = new Option<string>("--backends")
        {
            Description = $"Comma-separated, the first is the baseline: {string.Join(",", CompressionAccuracy.Backends)} (the default).",
            DefaultValueFactory = _ => string.Join(",", CompressionAccuracy.Backends),
        };
        var prune = new Option<string?>("--prune")
        {
            Description = "Also score pruned copies (no retraining) with the first backend: e.g. \"magnitude:0.3,0.5,0.7 heads:0.25,0.5\" (share of weights / of attention heads).",
        };
        var split = new Option<string>("--split") { Description = "test (default) or valid(ation).", DefaultValueFactory = _ => "test" };
        var cmd = new Command("accuracy", "What bf16 and int8 cost a fine-tuned model: entity F1 (CoNLL-2003), accuracy (SST-2, PhraseBank) or SQuAD EM/F1 (XQuAD) under TorchSharp fp32/bf16 and ONNX Runtime fp32/int8.")
            { model, backends, split, prune };
        run.AddTo(cmd);
        cmd.SetAction(parse => VerbActions.Run(parse, output =>
        {
            TorchRuntime.Initialize();
            run.ApplyThreads(parse);
            var dir = parse.GetValue(model)!;
            var names = parse.GetValue(backends)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            bool quick = parse.GetValue(run.Profile) == Profile.Quick;
            bool test = parse.GetValue(split) switch
            {
                "test" => true, "valid" or "validation" => false,
                var other => throw new ArgumentException($"--split must be test or valid, got '{other}'"),
            };
            var outDir = run.OutDir(parse);
            Directory.CreateDirectory(outDir);
            var config = BertConfig.Load(RequireConfig(dir));
            output.WriteLine($"{dir}: {BenchEnvironment.DescribeLoad()}");
            int threads = parse.GetValue(run.Threads);
            var levels = parse.GetValue(prune) is { } spec ? PruningLevel.Parse(spec) : [];
            (string, IReadOnlyList<CompressionAccuracyRow>) Score(string folder, string[] which) => config.Architectures switch
            {
                { } a when a.Contains("BertForTokenClassification") => Tagger(folder, test, quick, which, outDir, threads, output),
                { } a when a.Contains("BertForQuestionAnswering") => Reader(folder, test, quick, which, outDir, threads, output),
                _ => Classifier(folder, config, test, quick, which, outDir, threads, output),
            };
            var (dataset, rows) = Score(dir, names);
            if (levels.Count > 0)
                rows = [.. rows, .. PruningCurve.Run(dir, levels, outDir, rows, folder => Score(folder, [names[0]]).Item2, output.WriteLine)];
            output.WriteLine($"{"backend",-30} {"metric",-28} {"score",7} {"Δ points",9} {"seconds",8} {"graph MB",9}");
            foreach (var r in rows)
                output.WriteLine($"{r.Backend,-30} {r.Metric,-28} {r.Score,7:F2} {r.DeltaPoints,9:+0.00;-0.00;0.00} {r.Seconds,8:F0} {(r.GraphBytes is long b ? $"{b / 1e6:F1}" : "—"),9}");
            var json = new JsonObject
            {
                ["model"] = Path.GetFullPath(dir), ["data"] = dataset, ["profile"] = quick ? "quick" : "full", ["load"] = BenchEnvironment.DescribeLoad(),
                ["rows"] = new JsonArray(rows.Select(r => (JsonNode)new JsonObject
                {
                    ["backend"] = r.Backend, ["metric"] = r.Metric, ["score"] = r.Score, ["delta_points"] = r.DeltaPoints,
                    ["seconds"] = r.Seconds, ["graph_bytes"] = r.GraphBytes,
                }).ToArray()),
            };
            var path = Path.Combine(outDir, "accuracy.json");
            Checkpoints.AtomicFile.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            output.WriteLine($"wrote {path}");
            return 0;
        }));
        return cmd;
    }

    static string RequireConfig(string dir)
    {
        var path = Path.Combine(dir, Pretrained.ConfigFile);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path}: missing; --model must be a fine-tuned Hugging Face folder", path);
    }

    static (string, IReadOnlyList<CompressionAccuracyRow>) Tagger(string dir, bool test, bool quick, string[] backends, string outDir, int threads, TextWriter output)
    {
        var split = test ? "test" : "valid";
        var sentences = Conll2003.Load(split);
        if (quick) sentences = sentences.Take(QuickSentences).ToArray();
        var options = new TokenClassificationOptions { MaxLength = 128, Stride = 32 };
        var data = TokenClassificationData.FromConll(Pretrained.LoadTokenizer(dir), sentences, options);
        var name = $"CoNLL-2003 {split}, {sentences.Count:N0} sentences";
        output.WriteLine(name);
        return (name, CompressionAccuracy.Tagger(dir, data, options, backends, outDir, threads, output.WriteLine));
    }

    /// <summary>A reader trained by <c>qa train</c> is scored on XQuAD-en articles it never trained on (its qa_fold.json).</summary>
    static (string, IReadOnlyList<CompressionAccuracyRow>) Reader(string dir, bool test, bool quick, string[] backends, string outDir, int threads, TextWriter output)
    {
        if (!test) throw new ArgumentException("--split valid: a reader is scored on its held-out XQuAD articles; there is no validation split");
        var data = Xquad.Load();
        var fold = ReaderFold.Load(dir)
                   ?? throw new InvalidDataException($"{dir}: no {ReaderFold.FileName}; bench accuracy scores a reader from qa train on the articles it never saw");
        var questions = fold.HeldOutQuestions(data);
        if (quick) questions = questions.Take(QuickSentences / 2).ToArray();
        var name = $"XQuAD-en fold {fold.Fold} held-out articles, {questions.Count:N0} questions";
        output.WriteLine(name);
        var options = QuestionAnsweringOptions.For(Profile.Full);
        return (name, CompressionAccuracy.Reader(dir, data, questions, options, backends, outDir, threads, output.WriteLine));
    }

    static (string, IReadOnlyList<CompressionAccuracyRow>) Classifier(string dir, BertConfig config, bool test, bool quick, string[] backends,
        string outDir, int threads, TextWriter output)
    {
        var task = config.NumLabels switch
        {
            2 => FineTuneTask.Sst2,
            3 => FineTuneTask.PhraseBank,
            var n => throw new NotSupportedException($"{dir}: a sentence classifier with {n} labels; bench accuracy scores SST-2 (2) or PhraseBank (3)"),
        };
        var data = FineTuningData.Load(new FineTuneOptions { Task = task });
        var part = (test ? data.Test : data.Validation).Select(t => (t.Text, t.Label)).ToArray();
        if (quick) part = part.Take(QuickSentences).ToArray();
        var name = $"{data.Name} {(test ? "test" : "validation")}, {part.Length:N0} sentences";
        output.WriteLine(name);
        return (name, CompressionAccuracy.Classifier(dir, part, backends, outDir, threads: threads, log: output.WriteLine));
    }
}
