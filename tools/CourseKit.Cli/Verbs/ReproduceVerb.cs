using System.CommandLine;
using CourseKit.Data;
using CourseKit.Native;
using CourseKit.Text;
using CourseKit.Tasks.TokenClassification;
using TorchSharp;

namespace CourseKit.Cli.Verbs;

/// <summary><c>course reproduce conll</c>: fine-tune a BERT on CoNLL-2003 and print the article's table, ours
/// (CourseKit.Tasks.TokenClassification.NerReproduction does the work). The profile's sizes come from
/// <see cref="NerReproductionOptions.For"/>; the options here only override them when given.</summary>
public static class ReproduceVerb
{
    public static Command Create()
    {
        var cmd = new Command("reproduce", "Reproduce a published result with one command.");
        cmd.Subcommands.Add(CreateConll());
        return cmd;
    }

    /// <summary>The options of <c>reproduce conll</c>, bound to a <see cref="NerReproductionOptions"/> by <see cref="Bind"/>.</summary>
    sealed class Arguments
    {
        public readonly RunOptions Run = new("artifacts/reproduce/conll");
        public readonly Option<string?> Model = new("--model") { Description = $"Hugging Face BERT folder (default all-MiniLM-L6-v2, imported on first use into {CoursePaths.DefaultEncoder}; the kit's own CPU-pretrained BERT is {CoursePaths.KitBert})." };
        public readonly Option<bool> RandomInit = new("--random-init") { Description = "Fine-tune a randomly initialised small BERT (4 layers, hidden 256) instead of --model: a lower baseline that only shows the mechanics." };
        public readonly Option<double?> LearningRate = new("--lr") { Description = "Peak learning rate (default: 2e-5 for base-size models, 2e-4 for smaller ones)." };
        public readonly Option<int?> Epochs = new("--epochs") { Description = "Maximum epochs (default 5; early stopping on validation entity F1, patience 2)." };
        public readonly Option<int?> BatchSize = new("--batch-size") { Description = "Windows per batch (default 16)." };
        public readonly Option<int?> MaxLength = new("--max-length") { Description = "Tokens per window ([CLS] and [SEP] included; default 128)." };
        public readonly Option<int?> Train = new("--train-sentences") { Description = "Training sentences used (a fixed sample; default: quick 500, full all)." };
        public readonly Option<int?> Valid = new("--valid-sentences") { Description = "Validation sentences used (default: quick 200, full all)." };
        public readonly Option<int?> Test = new("--test-sentences") { Description = "Test sentences used (default: all 3,453 in both profiles)." };
        public readonly Option<bool> AllSubwords = new("--all-subwords") { Description = "Label every sub-token (B-X → I-X on continuation pieces) instead of the first one only." };
        public readonly Option<bool> Resume = new("--resume") { Description = "Continue an interrupted run from its newest checkpoint under --out." };
        public readonly Option<bool> Keep = new("--keep-checkpoints") { Description = "Keep the trainer checkpoints under --out/checkpoints after the run." };
        public readonly Option<TagDecoding> Decoding = ChoiceOption.Create("--decoding",
            "How tags are read for validation and report.txt: argmax (per word, the article's setup) or constrained (IOB2-valid Viterbi). metrics.json gives both.",
            TagDecoding.Argmax, ("argmax", TagDecoding.Argmax), ("constrained", TagDecoding.Iob2Constrained));
        public readonly Option<string> Device = new("--device") { Description = "cpu, cuda or auto.", DefaultValueFactory = _ => "auto" };
        public readonly Option<Training.Precision> Precision = PrecisionOption.Create();

        public Arguments() => Device.AcceptOnlyFromAmong("cpu", "cuda", "auto");

        public void AddTo(Command cmd)
        {
            Run.AddTo(cmd);
            foreach (var option in new Option[] { Model, RandomInit, LearningRate, Epochs, BatchSize, MaxLength, Train, Valid, Test, AllSubwords, Resume, Keep, Decoding, Device, Precision })
                cmd.Options.Add(option);
        }
    }

    static Command CreateConll()
    {
        var args = new Arguments();
        var cmd = new Command("conll", "Fine-tune BERT on CoNLL-2003 NER (train), select on valid, evaluate on test; write report.txt (the article's table), entity_report.txt (conlleval), metrics.json, predictions.conll, comparison.md and model/.");
        args.AddTo(cmd);
        cmd.SetAction(parse => VerbActions.Run(parse, output =>
        {
            TorchRuntime.Initialize();
            args.Run.ApplyThreads(parse);
            var options = Bind(parse, args);
            var result = NerReproduction.Run(options);
            output.WriteLine($"wrote {Path.Combine(options.OutputDir, NerReproduction.ReportFile)}, {NerReproduction.EntityReportFile}, " +
                $"{NerReproduction.MetricsFile}, {NerReproduction.PredictionsFile}, {NerReproduction.ComparisonFile}, {NerReproduction.ModelFolder}/ in {result.WallSeconds:F0} s");
            return 0;
        }, (ex, message) => message + (ex is DirectoryNotFoundException ? " (--model DIR for another folder, --random-init for a mechanics-only run)" : "")));
        return cmd;
    }

    /// <summary>The profile's options (<see cref="NerReproductionOptions.For"/>), with what the command line gave on top.</summary>
    static NerReproductionOptions Bind(ParseResult parse, Arguments args)
    {
        var outDir = args.Run.OutDir(parse);
        int seed = parse.GetValue(args.Run.Seed);
        var modelDir = parse.GetValue(args.Model) ?? CoursePaths.DefaultEncoder;
        if (parse.GetValue(args.RandomInit))
        {
            modelDir = Path.Combine(outDir, "random-init-bert");
            if (!File.Exists(Path.Combine(modelDir, "config.json"))) NerRandomBert.Write(modelDir, seed: seed);
        }
        var profile = NerReproductionOptions.For(parse.GetValue(args.Run.Profile), modelDir, outDir);
        return profile with
        {
            Seed = seed,
            LearningRate = parse.GetValue(args.LearningRate),
            Epochs = parse.GetValue(args.Epochs) ?? profile.Epochs,
            BatchSize = parse.GetValue(args.BatchSize) ?? profile.BatchSize,
            MaxLength = parse.GetValue(args.MaxLength) ?? profile.MaxLength,
            TrainSize = parse.GetValue(args.Train) ?? profile.TrainSize,
            ValidationSize = parse.GetValue(args.Valid) ?? profile.ValidationSize,
            TestSize = parse.GetValue(args.Test) ?? profile.TestSize,
            Labeling = parse.GetValue(args.AllSubwords) ? SubwordLabeling.AllSubwords : SubwordLabeling.FirstSubword,
            Resume = parse.GetValue(args.Resume),
            KeepCheckpoints = parse.GetValue(args.Keep),
            Decoding = parse.GetValue(args.Decoding),
            Precision = parse.GetValue(args.Precision),
            Device = parse.GetValue(args.Device) switch
            {
                "cpu" => torch.CPU,
                "cuda" => torch.CUDA,
                _ => torch.cuda.is_available() ? torch.CUDA : null,
            },
        };
    }
}
