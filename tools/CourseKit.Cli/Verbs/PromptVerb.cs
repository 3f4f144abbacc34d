using System.CommandLine;
using CourseKit.Native;
using CourseKit.Tasks.PromptLearning;

namespace CourseKit.Cli.Verbs;

/// <summary><c>course prompt zero-shot|few-shot</c>: prompt learning (chapter 11). The work is in
/// CourseKit.Tasks.PromptLearning; this binds options, calls, prints.</summary>
public static class PromptVerb
{
    public static Command Create()
    {
        var cmd = new Command("prompt", "Prompt learning: zero-shot by label descriptions and cloze templates, few-shot methods over seeds.");
        cmd.Subcommands.Add(CreateZeroShot());
        cmd.Subcommands.Add(PromptFewShotCommand.Create());
        return cmd;
    }

    internal static Option<PromptTask> TaskOption() => ChoiceOption.Create("--task", "sst2 (SST-2, evaluated on GLUE dev) or phrasebank (Financial PhraseBank AllAgree test).",
        PromptTask.Sst2, ("sst2", PromptTask.Sst2), ("phrasebank", PromptTask.PhraseBank));

    static Command CreateZeroShot()
    {
        var run = new RunOptions("artifacts/prompt/zero-shot");
        var task = TaskOption();
        var labels = new Option<string?>("--labels") { Description = "Your own label descriptions, \"label 0|label 1|…\" in label order (measured next to the built-in phrasings)." };
        var cmd = new Command("zero-shot", "Zero-shot classification by label descriptions with all-MiniLM-L6-v2: every phrasing, and the ensemble chosen on training-pool sentences; writes zero-shot.json.");
        run.AddTo(cmd);
        cmd.Options.Add(task);
        cmd.Options.Add(labels);
        cmd.SetAction(parse => VerbActions.Run(parse, output =>
        {
            TorchRuntime.Initialize();
            run.ApplyThreads(parse);
            var options = PromptLearningOptions.For(parse.GetValue(run.Profile)) with { Seed = parse.GetValue(run.Seed) };
            var data = PromptTaskData.Load(parse.GetValue(task)).WithEvaluationSubset(options.EvaluationSize);   // fixed subset: --seed moves the draws, not the yardstick
            var phrasings = LabelPhrasings.For(data.Task).ToList();
            if (parse.GetValue(labels) is { } spec) phrasings.Insert(0, LabelPhrasing.Parse(spec, data.Labels.Count));
            using var encoderScope = TorchSharp.torch.NewDisposeScope();
            var classifier = ZeroShotClassifier.Load();
            var result = ZeroShotExperiment.Run(classifier, data, phrasings, options.TuningSize, options.Seed);
            output.WriteLine($"{data.EvaluationName}: {data.Evaluation.Count} sentences; tuning on {result.TuningCount} training-pool sentences");
            output.WriteLine($"{"phrasing",-60} {"tune acc",8} {"accuracy",8} {"macro-F1",8}");
            foreach (var r in result.Phrasings.Append(result.Ensemble).Append(result.CalibratedEnsemble))
                output.WriteLine($"{Trim(r.Name, 60),-60} {r.TuningAccuracy,8:F3} {r.Evaluation.Accuracy,8:F3} {r.Evaluation.MacroF1,8:F3}");
            output.WriteLine($"selected on tuning sentences: {result.Selected.Name} → accuracy {result.Selected.Evaluation.Accuracy:F3}, macro-F1 {result.Selected.Evaluation.MacroF1:F3}");
            var file = Path.Combine(run.OutDir(parse), "zero-shot.json");
            VerbActions.WriteJsonFile(file, result.ToJsonString() + "\n");
            output.WriteLine($"wrote {file}");
            return 0;
        }));
        return cmd;
    }


    static string Trim(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "…";
}
