using System.CommandLine;
using CourseKit.Data;
using CourseKit.Native;
using CourseKit.Text;
using CourseKit.Tasks.TokenClassification;
using TorchSharp;

namespace CourseKit.Cli.Verbs;

/// <summary><c>course reproduce conll</c>: fine-tune a BERT on CoNLL-2003 and print the article's table, ours
/// (CourseKit.Tasks.TokenClassification.NerReproduction does the work).</summary>
public static class ReproduceVerb
{
    public const string DefaultModel = "artifacts/pretrain/bert/model";

    public static Command Create()
    {
        var cmd = new Command("reproduce", "Reproduce a published result with one command.");
        cmd.Subcommands.Add(CreateConll());
        return cmd;
    }

    static Command CreateConll()
    {
        var run = new RunOptions("artifacts/reproduce/conll");
        var model = new Option<string>("--model") { Description = $"Hugging Face BERT folder to fine-tune (default {DefaultModel}, written by `course pretrain bert`).", DefaultValueFactory = _ => DefaultModel };
        var randomInit = new Option<bool>("--random-init") { Description = "Fine-tune a randomly initialised small BERT (4 layers, hidden 256) instead of --model: a lower baseline that only shows the mechanics." };
        var lr = new Option<double?>("--lr") { Description = "Peak learning rate (default: 2e-5 for base-size models, 2e-4 for smaller ones)." };
        var epochs = new Option<int>("--epochs") { Description = "Maximum epochs (early stopping on validation entity F1, patience 2).", DefaultValueFactory = _ => 5 };
        var batch = new Option<int>("--batch-size") { Description = "Windows per batch.", DefaultValueFactory = _ => 16 };
        var maxLength = new Option<int>("--max-length") { Description = "Tokens per window ([CLS] and [SEP] included).", DefaultValueFactory = _ => 128 };
        var train = new Option<int?>("--train-sentences") { Description = "Training sentences used (a fixed sample; default: quick 500, full all)." };
        var valid = new Option<int?>("--valid-sentences") { Description = "Validation sentences used (default: quick 200, full all)." };
        var test = new Option<int?>("--test-sentences") { Description = "Test sentences used (default: all 3,453 in both profiles)." };
        var allSubwords = new Option<bool>("--all-subwords") { Description = "Label every sub-token (B-X → I-X on continuation pieces) instead of the first one only." };
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted run from its newest checkpoint under --out." };
        var keep = new Option<bool>("--keep-checkpoints") { Description = "Keep the trainer checkpoints under --out/checkpoints after the run." };
        var decoding = new Option<string>("--decoding") { Description = "How tags are read for validation and report.txt: argmax (per word, the article's setup) or constrained (IOB2-valid Viterbi). metrics.json gives both.", DefaultValueFactory = _ => "argmax" };
        decoding.AcceptOnlyFromAmong("argmax", "constrained");
        var device = new Option<string>("--device") { Description = "cpu, cuda or auto.", DefaultValueFactory = _ => "auto" };

        var cmd = new Command("conll", "Fine-tune BERT on CoNLL-2003 NER (train), select on valid, evaluate on test; write report.txt (the article's table), entity_report.txt (conlleval), metrics.json, predictions.conll, comparison.md and model/.");
        run.AddTo(cmd);
        foreach (var option in new Option[] { model, randomInit, lr, epochs, batch, maxLength, train, valid, test, allSubwords, resume, keep, decoding, device })
            cmd.Options.Add(option);
        cmd.SetAction(parse =>
        {
            var error = parse.InvocationConfiguration.Error;
            try
            {
                TorchRuntime.Initialize();
                run.ApplyThreads(parse);
                var outDir = parse.GetValue(run.Out)!;
                var profile = parse.GetValue(run.Profile) == Profile.Full ? NerReproductionOptions.FullProfile : NerReproductionOptions.QuickProfile;
                var modelDir = parse.GetValue(model)!;
                if (parse.GetValue(randomInit))
                {
                    modelDir = Path.Combine(outDir, "random-init-bert");
                    if (!File.Exists(Path.Combine(modelDir, "config.json"))) NerRandomBert.Write(modelDir, seed: parse.GetValue(run.Seed));
                }
                else if (modelDir == DefaultModel && !Directory.Exists(modelDir) && DataPaths.FindRepoRoot() is { } repo)
                {
                    modelDir = Path.Combine(repo, DefaultModel);
                }
                var defaults = NerReproductionOptions.ForProfile(profile, modelDir, outDir);
                var options = defaults with
                {
                    Seed = parse.GetValue(run.Seed),
                    LearningRate = parse.GetValue(lr),
                    Epochs = parse.GetValue(epochs),
                    BatchSize = parse.GetValue(batch),
                    MaxLength = parse.GetValue(maxLength),
                    TrainSentences = parse.GetValue(train) ?? defaults.TrainSentences,
                    ValidSentences = parse.GetValue(valid) ?? defaults.ValidSentences,
                    TestSentences = parse.GetValue(test) ?? defaults.TestSentences,
                    Labeling = parse.GetValue(allSubwords) ? SubwordLabeling.AllSubwords : SubwordLabeling.FirstSubword,
                    Resume = parse.GetValue(resume),
                    KeepCheckpoints = parse.GetValue(keep),
                    Decoding = parse.GetValue(decoding) == "constrained" ? TagDecoding.Iob2Constrained : TagDecoding.Argmax,
                    Device = parse.GetValue(device) switch
                    {
                        "cpu" => torch.CPU,
                        "cuda" => torch.CUDA,
                        "auto" => torch.cuda.is_available() ? torch.CUDA : null,
                        var d => throw new ArgumentException($"--device '{d}' is not one of cpu, cuda, auto"),
                    },
                };
                var result = NerReproduction.Run(options);
                parse.InvocationConfiguration.Output.WriteLine($"wrote {Path.Combine(outDir, NerReproduction.ReportFile)}, {NerReproduction.EntityReportFile}, " +
                    $"{NerReproduction.MetricsFile}, {NerReproduction.PredictionsFile}, {NerReproduction.ComparisonFile}, {NerReproduction.ModelFolder}/ in {result.WallSeconds:F0} s");
                return 0;
            }
            catch (Exception ex) when (ex is IOException or ArgumentException or InvalidDataException or DatasetMissingException or UnauthorizedAccessException)
            {
                error.WriteLine($"error: {ex.Message}");
                return 1;
            }
        });
        return cmd;
    }
}
