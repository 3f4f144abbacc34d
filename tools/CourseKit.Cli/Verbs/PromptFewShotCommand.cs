using System.CommandLine;
using CourseKit.Native;
using CourseKit.Tasks.PromptLearning;

namespace CourseKit.Cli.Verbs;

/// <summary><c>course prompt few-shot</c>: few-shot methods over K and seeds, mean ± sd (chapter 11).</summary>
static class PromptFewShotCommand
{
    public static Command Create()
    {
        var run = new RunOptions("artifacts/prompt/few-shot");
        var task = PromptVerb.TaskOption();
        var k = new Option<string?>("--k") { Description = "Examples per class, one or a list (\"8,16,32\"); default: the profile's (quick 16, full 8,16,32)." };
        var method = new Option<string>("--method")
        {
            Description = $"One or more of {string.Join(", ", FewShotMethods.Names)} (comma-separated).", DefaultValueFactory = _ => "setfit,head",
        };
        var template = new Option<string?>("--template") { Description = "Cloze template with one [MASK]; {sentence} marks the sentence (default \"{sentence} It was [MASK].\")." };
        var words = new Option<string?>("--verbalizer") { Description = "Cloze label words in label order, \"terrible|great\" (default: SST-2 terrible|great, PhraseBank bad|okay|good), or \"auto\": searched on each few-shot draw (LM-BFF's automatic label words)." };
        var seeds = new Option<int?>("--seeds") { Description = "Few-shot draws per K (default: quick 2, full 5)." };
        var clozeModel = new Option<string?>("--cloze-model") { Description = "A BERT folder with an MLM head for cloze (e.g. artifacts/pretrain/bert/model); default: all-MiniLM-L6-v2 with an MLM head trained on its frozen encoder." };
        var grouped = new Option<bool>("--group-by-length")
        {
            Description = "Train on batches of sentences of similar length (less padding; other batches than the recorded figures' plain shuffle).",
        };
        var cmd = new Command("few-shot", "Few-shot classification: K examples per class, several seeds, mean ± sd against zero-shot (and the full-data ceiling where measured); writes few-shot.json.");
        run.AddTo(cmd);
        foreach (var o in new Option[] { task, k, method, template, words, seeds, clozeModel, grouped }) cmd.Options.Add(o);
        cmd.SetAction(parse => VerbActions.Run(parse, output =>
        {
            TorchRuntime.Initialize();
            run.ApplyThreads(parse);
            var options = PromptLearningOptions.For(parse.GetValue(run.Profile)) with
            {
                Seed = parse.GetValue(run.Seed), ClozeModelDir = parse.GetValue(clozeModel), GroupByLength = parse.GetValue(grouped),
            };
            if (parse.GetValue(k) is { } shots) options = options with { Shots = shots.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(ParseK).ToArray() };
            if (parse.GetValue(seeds) is { } n) options = options with { Seeds = n > 0 ? n : throw new ArgumentException($"--seeds must be positive, got {n}") };
            if (parse.GetValue(template) is { } t) options = options with { Template = new ClozeTemplate(t).Text };
            if (parse.GetValue(words) is { } w)
                options = w.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase)
                    ? options with { SearchVerbalizer = true }
                    : options with { VerbalizerWords = w.Split('|', StringSplitOptions.TrimEntries) };
            var methods = parse.GetValue(method)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            FewShotMethods.Validate(methods);
            var data = PromptTaskData.Load(parse.GetValue(task)).WithEvaluationSubset(options.EvaluationSize);   // fixed subset: --seed moves the draws, not the yardstick
            var result = FewShotExperiment.Run(data, methods, options, FewShotExperiment.KnownCeiling(data.Task));
            output.WriteLine($"{data.EvaluationName}: {data.Evaluation.Count} sentences; {FewShotExperiment.Protocol}");
            if (result.MaskedLmHead is { } head) output.WriteLine($"MLM head on the frozen encoder: held-out loss {head["held_out_loss_before"]} → {head["held_out_loss_after"]}");
            output.Write(result.ToTable());
            var file = Path.Combine(run.OutDir(parse), "few-shot.json");
            VerbActions.WriteJsonFile(file, result.ToJsonString() + "\n");
            output.WriteLine($"wrote {file} ({result.WallSeconds:F0} s)");
            return 0;
        }, (ex, message) => message.Replace("K (examples per class)", "--k")));
        return cmd;
    }

    static int ParseK(string text) => int.TryParse(text, out var v) && v > 0 ? v : throw new ArgumentException($"--k: '{text}' is not a positive number");
}
