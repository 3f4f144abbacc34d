using System.CommandLine;
using CourseKit.Data;
using CourseKit.Native;
using CourseKit.Tasks.SequenceClassification;
using TorchSharp;

namespace CourseKit.Cli.Verbs;

/// <summary>
/// <c>course finetune --task sst2|phrasebank --method full|head[,...] [--model DIR] --profile quick|full --seed N --out DIR</c>:
/// fine-tunes a BERT folder for sequence classification (CourseKit.Tasks.SequenceClassification.FineTuning does the work). One method writes
/// its outputs into --out; several (comma-separated) write one folder each plus one results table. The profile's
/// sizes come from <see cref="FineTuneOptions.For"/>; the options here only override them when given.
/// </summary>
public static class FineTuneVerb
{
    /// <summary>The verb's options, bound to a <see cref="FineTuneOptions"/> by <see cref="Bind"/>.</summary>
    sealed class Arguments
    {
        public readonly RunOptions Run = new("artifacts/finetune");
        public readonly Option<FineTuneTask> Task = ChoiceOption.Create("--task", "sst2 (GLUE SST-2, binary) or phrasebank (Financial PhraseBank, 3 classes).",
            FineTuneTask.PhraseBank, ("sst2", FineTuneTask.Sst2), ("sst-2", FineTuneTask.Sst2), ("phrasebank", FineTuneTask.PhraseBank));
        public readonly Option<PhraseBankAgreement> Agreement = ChoiceOption.Create("--agreement", "PhraseBank annotator agreement: all, 75, 66 or 50.",
            PhraseBankAgreement.All, ("all", PhraseBankAgreement.All), ("100", PhraseBankAgreement.All), ("75", PhraseBankAgreement.AtLeast75),
            ("66", PhraseBankAgreement.AtLeast66), ("50", PhraseBankAgreement.AtLeast50));
        public readonly Option<string> Method = new("--method") { Description = $"Fine-tuning method(s), comma-separated for a sweep: {string.Join(", ", FineTuningMethods.Names)}.", DefaultValueFactory = _ => "full" };
        public readonly Option<string?> Model = new("--model") { Description = $"Hugging Face BERT folder (default all-MiniLM-L6-v2, imported on first use into {CoursePaths.DefaultEncoder}; the kit's own CPU-pretrained BERT is {CoursePaths.KitBert})." };
        public readonly Option<string?> LearningRate = new("--lr") { Description = $"Peak learning rate, or a base plus per-method rates: 1e-4,lora=1e-3,prompt=3e-2 (default {FineTuneOptions.DefaultEncoderLearningRate:G}, chosen for all-MiniLM-L6-v2; 2e-5 suits BERT-base; PEFT methods want more)." };
        public readonly Option<double?> HeadLearningRate = new("--head-lr") { Description = "A peak rate of its own for the classifier and pooler under a PEFT method (e.g. 5e-3 beside prefix=3e-4); default: the method's rate." };
        public readonly Option<int?> Epochs = new("--epochs") { Description = "Epochs (default: quick 1, full 5 with early stopping)." };
        public readonly Option<int> BatchSize = new("--batch-size") { Description = "Examples per batch.", DefaultValueFactory = _ => 16 };
        public readonly Option<int?> MaxLength = new("--max-length") { Description = "Tokens per sentence (default: quick 64, full 128)." };
        public readonly Option<FreezeMode> Freeze = new("--freeze") { Description = "Also freeze: none, embeddings or encoder.", DefaultValueFactory = _ => FreezeMode.None };
        public readonly Option<int> FreezeLayers = new("--freeze-layers") { Description = "Also freeze the lowest N encoder layers." };
        public readonly Option<bool> OnlyHead = new("--train-only-head") { Description = "Same as --freeze encoder: only the pooler and classifier train." };
        public readonly Option<int?> TrainSize = new("--train-size") { Description = "Training examples (default: quick 400, full all)." };
        public readonly Option<int?> ValidationSize = new("--val-size") { Description = "Validation examples (default: quick 100, full all)." };
        public readonly Option<int?> TestSize = new("--test-size") { Description = "Test examples (default: quick 100, full: PhraseBank 10 %, SST-2 872 held out from train)." };
        public readonly Option<string?> Split = new("--split") { Description = "Reuse a recorded split.json instead of making one." };
        public readonly Option<int?> TestFold = new("--test-fold") { Description = TestFoldHelp };
        public readonly Option<string> Device = new("--device") { Description = "cpu or cuda.", DefaultValueFactory = _ => "cpu" };

        public readonly Option<Training.Precision> Precision = PrecisionOption.Create();
        public readonly Option<bool> KeepZeros = new("--keep-zeros")
        {
            Description = "Retrain a pruned model (course model prune): encoder weights that are zero in --model stay zero, so the sparsity is kept.",
        };
        public readonly Option<bool> AgreementTargets = new("--agreement-targets")
        {
            Description = "PhraseBank: train towards soft targets from annotator agreement (unanimous 1.0, 75 % 0.82, 66 % 0.69, 50 % 0.60 on the majority label); validation and test keep their labels.",
        };

        public Arguments() => Device.AcceptOnlyFromAmong("cpu", "cuda");

        public void AddTo(Command cmd)
        {
            foreach (var o in new Option[] { Task, Agreement, Method, Model, LearningRate, HeadLearningRate, Epochs, BatchSize, MaxLength, Freeze, FreezeLayers, OnlyHead, TrainSize, ValidationSize, TestSize, Split, TestFold, Device, Precision, KeepZeros, AgreementTargets })
                cmd.Options.Add(o);
            Run.AddTo(cmd);
        }
    }

    public static Command Create(DataRegistry? registry = null)
    {
        var args = new Arguments();
        var cmd = new Command("finetune", "Fine-tune a BERT folder for sentence classification (SST-2, Financial PhraseBank); writes result.json, report, confusion matrix, split and best model.");
        args.AddTo(cmd);
        cmd.SetAction(parse => VerbActions.Run(parse, _ => Run(parse, args, registry),
            (e, message) => message + (e is ModelFolderMissingException ? " (--model DIR)" : "")));
        return cmd;
    }

    static int Run(ParseResult parse, Arguments args, DataRegistry? registry)
    {
        var methods = Methods(parse, args);
        var options = Bind(parse, args, registry) with { Method = methods[0] };
        var outDir = args.Run.OutDir(parse);
        foreach (var m in methods) FineTuningMethods.Get(m);
        FineTuning.RequireModelFolder(options.ModelDir); // before loading torch or data: a clear message first

        TorchRuntime.Initialize();
        args.Run.ApplyThreads(parse);
        options = options with { Device = parse.GetValue(args.Device) == "cuda" ? torch.CUDA : null };
        if (methods.Length == 1) RunOne(options, outDir);
        else RunSweep(options, methods, outDir);
        return 0;
    }

    static string[] Methods(ParseResult parse, Arguments args)
    {
        var methods = (parse.GetValue(args.Method) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return methods.Length > 0 ? methods : throw new ArgumentException("--method is empty");
    }

    /// <summary>The profile's options (<see cref="FineTuneOptions.For"/>), with what the command line gave on top.</summary>
    /// <summary>The help of <c>--test-fold</c> (finetune and monitor train).</summary>
    public const string TestFoldHelp = "PhraseBank cross-validation: test on tenth K (0-9) of every class, validate on tenth K+1, train on the other eight (default: the recorded 80/10/10 split). Runs over several K test on disjoint sentences.";

    static FineTuneOptions Bind(ParseResult parse, Arguments args, DataRegistry? registry)
    {
        var profile = FineTuneOptions.For(parse.GetValue(args.Run.Profile), parse.GetValue(args.Task), parse.GetValue(args.Model));
        return (profile with
        {
            Agreement = parse.GetValue(args.Agreement),
            Epochs = parse.GetValue(args.Epochs) ?? profile.Epochs,
            BatchSize = parse.GetValue(args.BatchSize),
            MaxLength = parse.GetValue(args.MaxLength) ?? profile.MaxLength,
            Freeze = parse.GetValue(args.OnlyHead) ? FreezeMode.Encoder : parse.GetValue(args.Freeze),
            FreezeLowerLayers = parse.GetValue(args.FreezeLayers),
            TrainSize = parse.GetValue(args.TrainSize) ?? profile.TrainSize,
            ValidationSize = parse.GetValue(args.ValidationSize) ?? profile.ValidationSize,
            TestSize = parse.GetValue(args.TestSize) ?? profile.TestSize,
            SplitFile = parse.GetValue(args.Split),
            TestFold = parse.GetValue(args.TestFold),
            Seed = parse.GetValue(args.Run.Seed),
            HeadLearningRate = parse.GetValue(args.HeadLearningRate),
            Precision = parse.GetValue(args.Precision),
            KeepZeros = parse.GetValue(args.KeepZeros),
            AgreementTargets = parse.GetValue(args.AgreementTargets),
            Registry = registry,
        }).WithLearningRates(parse.GetValue(args.LearningRate) ?? "");
    }

    static void RunOne(FineTuneOptions options, string outDir)
    {
        var r = FineTuning.Run(options with { OutputDir = outDir });
        FineTuneResultsTable.Save([r], outDir);
        Console.WriteLine(r.Test.ToText());
        Console.WriteLine($"{r.Task} · {r.Method}: trainable {r.TrainableParameters:N0} / {r.TotalParameters:N0} ({r.TrainablePercent:F2} %), " +
                          $"validation macro-F1 {r.Validation.MacroF1:F4}, test accuracy {r.Test.Accuracy:F4} (majority baseline {r.MajorityBaselineTestAccuracy:F4}), " +
                          $"{r.WallSeconds:F1} s, peak {r.PeakMemoryBytes / 1048576.0:F0} MiB; outputs in {outDir}");
    }

    static void RunSweep(FineTuneOptions options, string[] methods, string outDir)
    {
        var results = FineTuning.Sweep(options, methods, outDir);
        Console.WriteLine(FineTuneResultsTable.ToMarkdown(FineTuneResultsTable.ToDataFrame(results)));
        Console.WriteLine($"results table: {Path.Combine(outDir, "results.csv")} and results.md");
    }
}
