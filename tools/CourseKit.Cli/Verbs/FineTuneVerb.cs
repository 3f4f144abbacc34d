using System.CommandLine;
using CourseKit.Data;
using CourseKit.Native;
using CourseKit.Tasks.SequenceClassification;
using TorchSharp;

namespace CourseKit.Cli.Verbs;

/// <summary>
/// <c>course finetune --task sst2|phrasebank --method full|head[,...] [--model DIR] --profile quick|full --seed N --out DIR</c>:
/// fine-tunes a BERT folder for sequence classification (CourseKit.Tasks.SequenceClassification.FineTuning does the work). One method writes
/// its outputs into --out; several (comma-separated) write one folder each plus one results table.
/// </summary>
public static class FineTuneVerb
{
    public static Command Create(DataRegistry? registry = null)
    {
        var run = new RunOptions("artifacts/finetune");
        var task = new Option<string>("--task") { Description = "sst2 (GLUE SST-2, binary) or phrasebank (Financial PhraseBank, 3 classes).", DefaultValueFactory = _ => "phrasebank" };
        var agreement = new Option<string>("--agreement") { Description = "PhraseBank annotator agreement: all, 75, 66 or 50.", DefaultValueFactory = _ => "all" };
        var method = new Option<string>("--method") { Description = $"Fine-tuning method(s), comma-separated for a sweep: {string.Join(", ", FineTuningMethods.Names)}.", DefaultValueFactory = _ => "full" };
        var model = new Option<string?>("--model") { Description = $"Hugging Face BERT folder (default {FineTuneOptions.DefaultModelDir}, written by `course pretrain bert`)." };
        var lr = new Option<string>("--lr") { Description = "Peak learning rate, or a base plus per-method rates: 1e-4,lora=1e-3,prompt=3e-2 (2e-5 suits a pretrained BERT-base; the kit's small BERT prefers ~1e-4, PEFT methods more).", DefaultValueFactory = _ => "2e-5" };
        var epochs = new Option<int?>("--epochs") { Description = "Epochs (default: quick 1, full 5 with early stopping)." };
        var batch = new Option<int>("--batch-size") { Description = "Examples per batch.", DefaultValueFactory = _ => 16 };
        var maxLength = new Option<int?>("--max-length") { Description = "Tokens per sentence (default: quick 64, full 128)." };
        var freeze = new Option<string>("--freeze") { Description = "Also freeze: none, embeddings or encoder.", DefaultValueFactory = _ => "none" };
        var freezeLayers = new Option<int>("--freeze-layers") { Description = "Also freeze the lowest N encoder layers." };
        var onlyHead = new Option<bool>("--train-only-head") { Description = "Same as --freeze encoder: only the pooler and classifier train." };
        var trainSize = new Option<int?>("--train-size") { Description = "Training examples (default: quick 400, full all)." };
        var valSize = new Option<int?>("--val-size") { Description = "Validation examples (default: quick 100, full all)." };
        var testSize = new Option<int?>("--test-size") { Description = "Test examples (default: quick 100, full: PhraseBank 10 %, SST-2 872 held out from train)." };
        var split = new Option<string?>("--split") { Description = "Reuse a recorded split.json instead of making one." };
        var device = new Option<string>("--device") { Description = "cpu or cuda.", DefaultValueFactory = _ => "cpu" };

        var cmd = new Command("finetune", "Fine-tune a BERT folder for sentence classification (SST-2, Financial PhraseBank); writes result.json, report, confusion matrix, split and best model.");
        foreach (var o in new Option[] { task, agreement, method, model, lr, epochs, batch, maxLength, freeze, freezeLayers, onlyHead, trainSize, valSize, testSize, split, device })
            cmd.Options.Add(o);
        run.AddTo(cmd);
        cmd.SetAction(parse =>
        {
            try
            {
                bool quick = parse.GetValue(run.Profile) == Profile.Quick;
                var methods = (parse.GetValue(method) ?? "full").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                var options = new FineTuneOptions
                {
                    Task = parse.GetValue(task)?.ToLowerInvariant() switch
                    {
                        "sst2" or "sst-2" => FineTuneTask.Sst2,
                        "phrasebank" => FineTuneTask.PhraseBank,
                        var other => throw new ArgumentException($"--task must be sst2 or phrasebank, got '{other}'"),
                    },
                    Agreement = parse.GetValue(agreement)?.ToLowerInvariant() switch
                    {
                        "all" or "100" => PhraseBankAgreement.All, "75" => PhraseBankAgreement.AtLeast75,
                        "66" => PhraseBankAgreement.AtLeast66, "50" => PhraseBankAgreement.AtLeast50,
                        var other => throw new ArgumentException($"--agreement must be all, 75, 66 or 50, got '{other}'"),
                    },
                    Method = methods.FirstOrDefault() ?? throw new ArgumentException("--method is empty"),
                    ModelDir = parse.GetValue(model) ?? DefaultModelDir(),
                    Epochs = parse.GetValue(epochs) ?? (quick ? 1 : 5),
                    BatchSize = parse.GetValue(batch),
                    MaxLength = parse.GetValue(maxLength) ?? (quick ? 64 : 128),
                    Freeze = parse.GetValue(onlyHead) ? FreezeMode.Encoder : parse.GetValue(freeze)?.ToLowerInvariant() switch
                    {
                        "none" => FreezeMode.None, "embeddings" => FreezeMode.Embeddings, "encoder" => FreezeMode.Encoder,
                        var other => throw new ArgumentException($"--freeze must be none, embeddings or encoder, got '{other}'"),
                    },
                    FreezeLowerLayers = parse.GetValue(freezeLayers),
                    TrainSize = parse.GetValue(trainSize) ?? (quick ? 400 : 0),
                    ValidationSize = parse.GetValue(valSize) ?? (quick ? 100 : 0),
                    TestSize = parse.GetValue(testSize) ?? (quick ? 100 : 0),
                    SplitFile = parse.GetValue(split),
                    Seed = parse.GetValue(run.Seed),
                    Registry = registry,
                }.WithLearningRates(parse.GetValue(lr) ?? "2e-5");
                var outDir = parse.GetValue(run.Out)!;
                foreach (var m in methods) FineTuningMethods.Get(m);
                FineTuning.RequireModelFolder(options.ModelDir); // before loading torch or data: a clear message first

                TorchRuntime.Initialize();
                run.ApplyThreads(parse);
                options = options with { Device = parse.GetValue(device)?.ToLowerInvariant() == "cuda" ? torch.CUDA : null };
                if (methods.Length == 1)
                {
                    var r = FineTuning.Run(options with { OutputDir = outDir });
                    FineTuneResultsTable.Save([r], outDir);
                    Console.WriteLine(r.Test.ToText());
                    Console.WriteLine($"{r.Task} · {r.Method}: trainable {r.TrainableParameters:N0} / {r.TotalParameters:N0} ({r.TrainablePercent:F2} %), " +
                                      $"validation macro-F1 {r.Validation.MacroF1:F4}, test accuracy {r.Test.Accuracy:F4} (majority baseline {r.MajorityBaselineTestAccuracy:F4}), " +
                                      $"{r.WallSeconds:F1} s, peak {r.PeakMemoryBytes / 1048576.0:F0} MiB; outputs in {outDir}");
                }
                else
                {
                    var results = FineTuning.Sweep(options, methods, outDir);
                    Console.WriteLine(FineTuneResultsTable.ToMarkdown(FineTuneResultsTable.ToDataFrame(results)));
                    Console.WriteLine($"results table: {Path.Combine(outDir, "results.csv")} and results.md");
                }
                return 0;
            }
            catch (Exception e) when (e is ModelFolderMissingException or DatasetMissingException or ArgumentException or InvalidDataException or FileNotFoundException)
            {
                Console.Error.WriteLine($"course finetune: {e.Message}");
                return 2;
            }
        });
        return cmd;
    }

    /// <summary>artifacts/pretrain/bert/model under the repository root when there is one (where `course pretrain bert` writes it).</summary>
    static string DefaultModelDir() =>
        DataPaths.FindRepoRoot() is { } repo ? Path.Combine(repo, FineTuneOptions.DefaultModelDir) : FineTuneOptions.DefaultModelDir;
}
