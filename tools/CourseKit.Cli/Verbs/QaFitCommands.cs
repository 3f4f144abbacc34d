using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using CourseKit.Checkpoints;
using CourseKit.Data;
using CourseKit.Models;
using CourseKit.Native;
using CourseKit.Tasks.QuestionAnswering;

namespace CourseKit.Cli.Verbs;

/// <summary><c>course qa synth</c> (extractive questions made from WikiText-2, no labels) and <c>course qa fit</c> (one
/// reader trained on every question of a SQuAD file, e.g. those, then used as <c>qa train --model</c>).</summary>
static class QaFitCommands
{
    public static Command CreateSynth()
    {
        var outFile = new Option<string>("--out") { Description = "The SQuAD-format file to write.", Required = true };
        var max = new Option<int>("--max") { Description = "Questions at most.", DefaultValueFactory = _ => 4000 };
        var perParagraph = new Option<int>("--per-paragraph") { Description = "Questions per paragraph at most.", DefaultValueFactory = _ => 2 };
        var seed = new Option<int>("--seed") { Description = "Which spans become questions.", DefaultValueFactory = _ => 42 };
        var cmd = new Command("synth", "Make extractive questions from WikiText-2 (valid + test) without labels: a name or number that recurs in a paragraph is the answer, one of its sentences the question (ClozeQuestions).")
            { outFile, max, perParagraph, seed };
        cmd.SetAction(parse => QaVerb.Guard(parse, () =>
        {
            if (parse.GetValue(max) < 1) throw new ArgumentException($"--max must be at least 1, got {parse.GetValue(max)}");
            var lines = TextCorpora.WikiText2Lines("valid").Concat(TextCorpora.WikiText2Lines("test"));
            var data = ClozeQuestions.Generate(TextCorpora.WikiTextArticles(lines), parse.GetValue(max), parse.GetValue(seed),
                parse.GetValue(perParagraph), "WikiText-2 cloze questions");
            var path = parse.GetValue(outFile)!;
            ClozeQuestions.Save(data, path);
            var output = parse.InvocationConfiguration.Output;
            output.WriteLine($"wrote {path}: {data.Questions.Count:N0} questions from {data.Articles.Count} WikiText-2 articles");
            foreach (var q in data.Questions.Take(3)) output.WriteLine($"  Q: {q.Question}\n  A: {q.Answers[0].Text}");
        }));
        return cmd;
    }

    public static Command CreateFit()
    {
        var run = new RunOptions("artifacts/qa/fit");
        var model = QaVerb.EncoderOption("Hugging Face BERT folder to start from (default: the imported all-MiniLM-L6-v2).");
        var data = new Option<string>("--data") { Description = "SQuAD v1.1-format file: every question trains the reader.", Required = true };
        var precision = PrecisionOption.Create();
        var lr = new Option<double?>("--lr") { Description = "Peak learning rate (default: the profile's, full 1e-4)." };
        var epochs = new Option<int?>("--epochs") { Description = "Epochs over the questions (default: full 8, quick 3)." };
        var cmd = new Command("fit", "Train one reader on every question of a SQuAD-format file (yours, or qa synth's) and save it to OUT/model; qa train --model OUT/model then starts from it.");
        run.AddTo(cmd);
        foreach (var o in new Option[] { model, data, precision, lr, epochs }) cmd.Options.Add(o);
        cmd.SetAction(parse => QaVerb.Guard(parse, () =>
        {
            MallocTuning.Ensure(AllocatorUse.Training);                                        // long training: keep memory flat (see MallocTuning)
            TorchRuntime.Initialize();
            run.ApplyThreads(parse);
            var options = QaVerb.WithRateAndEpochs(
                QuestionAnsweringOptions.For(parse.GetValue(run.Profile)) with { Seed = parse.GetValue(run.Seed), Precision = parse.GetValue(precision) },
                parse.GetValue(lr), parse.GetValue(epochs));
            var dataset = SquadReader.Load(parse.GetValue(data)!);
            var questions = options.TrainQuestions is int k ? SquadSplits.SampleQuestions(dataset, Math.Min(k, dataset.Questions.Count), options.SplitSeed) : dataset.Questions;
            var modelDir = parse.GetValue(model) ?? QaVerb.MiniLm();
            var tokenizer = Pretrained.LoadTokenizer(modelDir);
            var (reader, result, windows) = QaReaderTraining.Train(modelDir, tokenizer, dataset, questions, options, null);
            var outDir = run.OutDir(parse);
            reader.SavePretrained(Path.Combine(outDir, "model"), tokenizer, options.MaxLength);
            reader.Dispose();
            var loss = result.History.LastOrDefault(e => e.Kind == "train")?.Values["loss"];
            AtomicFile.WriteAllText(Path.Combine(outDir, "fit.json"), new JsonObject
            {
                ["model"] = Path.GetFullPath(modelDir), ["data"] = Path.GetFullPath(parse.GetValue(data)!), ["profile"] = options.ProfileName,
                ["questions"] = questions.Count, ["windows"] = windows, ["steps"] = result.Steps, ["lr"] = options.LearningRate,
                ["epochs"] = result.Epochs, ["precision"] = options.Precision.ToString().ToLowerInvariant(), ["seed"] = options.Seed,
                ["final_loss"] = loss, ["train_seconds"] = result.WallSeconds,
            }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            parse.InvocationConfiguration.Output.WriteLine(
                $"trained on {questions.Count:N0} questions ({windows:N0} windows, {result.Steps} steps, {result.WallSeconds:F0} s, last loss {loss:F3}); wrote {Path.Combine(outDir, "model")} and fit.json");
        }));
        return cmd;
    }
}
