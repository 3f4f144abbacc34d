using System.CommandLine;
using CourseKit.Data;
using CourseKit.Native;
using CourseKit.Tasks.Distillation;
using CourseKit.Tasks.SequenceClassification;

namespace CourseKit.Cli.Verbs;

/// <summary>
/// <c>course distill --task sst2|phrasebank --student 2L|3L|2L-random|3L-random|kit[,...] --loss soft,hidden,attention,cosine
/// [--teacher DIR] [--ablation] --profile quick|full --seed N --out DIR --threads N</c>: chapter 10's experiment
/// (CourseKit.Tasks.Distillation.DistillationExperiment does the work). Writes teacher/, students/&lt;name&gt;/ (Hugging Face
/// BERT folders), results.json, results.md and pareto.figure.json into --out.
/// </summary>
public static class DistillVerb
{
    sealed class Arguments
    {
        public readonly RunOptions Run = new("artifacts/distill");
        public readonly Option<FineTuneTask> Task = ChoiceOption.Create("--task", "sst2 (GLUE SST-2) or phrasebank (Financial PhraseBank AllAgree).",
            FineTuneTask.Sst2, ("sst2", FineTuneTask.Sst2), ("sst-2", FineTuneTask.Sst2), ("phrasebank", FineTuneTask.PhraseBank));
        public readonly Option<string> Student = new("--student") { Description = $"Student(s), comma-separated: {string.Join(", ", StudentFactory.Kinds)}.", DefaultValueFactory = _ => "2L" };
        public readonly Option<string> Loss = new("--loss") { Description = "Distillation losses, comma-separated: soft, hidden, attention, cosine (each student is also trained on hard labels alone).", DefaultValueFactory = _ => "soft" };
        public readonly Option<bool> Ablation = new("--ablation") { Description = "Also train one student per loss alone (which loss buys what)." };
        public readonly Option<string?> Teacher = new("--teacher") { Description = "A fine-tuned teacher folder (default: fine-tune all-MiniLM-L6-v2 on the task first, into --out/teacher)." };
        public readonly Option<double?> Temperature = new("--temperature") { Description = "Soft-target temperature T (default 2)." };
        public readonly Option<double?> Alpha = new("--alpha") { Description = "Weight α of the soft targets against the hard labels (default 0.5)." };
        public readonly Option<int?> TransferSize = new("--transfer-size") { Description = "Unlabelled in-domain sentences the teacher labels (default: quick 400, full 8000)." };
        public readonly Option<int?> TrainSize = new("--train-size") { Description = "Labelled training sentences (default: quick 400, full 4000)." };
        public readonly Option<int?> Epochs = new("--epochs") { Description = "Student epochs (default 3)." };
        public readonly Option<double?> LearningRate = new("--lr") { Description = "Student peak learning rate (default 1e-4)." };

        public void AddTo(Command cmd)
        {
            foreach (var o in new Option[] { Task, Student, Loss, Ablation, Teacher, Temperature, Alpha, TransferSize, TrainSize, Epochs, LearningRate })
                cmd.Options.Add(o);
            Run.AddTo(cmd);
        }
    }

    public static Command Create(DataRegistry? registry = null)
    {
        var args = new Arguments();
        var cmd = new Command("distill", "Knowledge distillation: a fine-tuned MiniLM teacher, 2-/3-layer students, soft/hidden/attention/cosine losses; accuracy, size and speed side by side.");
        args.AddTo(cmd);
        cmd.SetAction(parse => VerbActions.Run(parse, output => Run(parse, args, registry, output)));
        return cmd;
    }

    static int Run(ParseResult parse, Arguments args, DataRegistry? registry, TextWriter output)
    {
        var options = Bind(parse, args, registry);
        options.Validate();
        TorchRuntime.Initialize();
        args.Run.ApplyThreads(parse);
        var result = DistillationExperiment.Run(options);
        output.WriteLine(result.ToMarkdown());
        output.WriteLine($"{result.WallSeconds:F0} s; results.json, results.md, pareto.figure.json and students/ in {options.OutputDir}");
        return 0;
    }

    static DistillationOptions Bind(ParseResult parse, Arguments args, DataRegistry? registry)
    {
        var profile = DistillationOptions.For(parse.GetValue(args.Run.Profile), parse.GetValue(args.Task));
        return profile with
        {
            Students = (parse.GetValue(args.Student) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            Losses = DistillationLossNames.Parse(parse.GetValue(args.Loss) ?? ""),
            Ablation = parse.GetValue(args.Ablation),
            TeacherDir = parse.GetValue(args.Teacher) is { Length: > 0 } teacher ? Path.GetFullPath(teacher) : null,
            Temperature = parse.GetValue(args.Temperature) ?? profile.Temperature,
            Alpha = parse.GetValue(args.Alpha) ?? profile.Alpha,
            TransferSize = parse.GetValue(args.TransferSize) ?? profile.TransferSize,
            TrainSize = parse.GetValue(args.TrainSize) ?? profile.TrainSize,
            Epochs = parse.GetValue(args.Epochs) ?? profile.Epochs,
            LearningRate = parse.GetValue(args.LearningRate) ?? profile.LearningRate,
            Seed = parse.GetValue(args.Run.Seed),
            OutputDir = args.Run.OutDir(parse),
            Registry = registry,
        };
    }
}
