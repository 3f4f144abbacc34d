using System.CommandLine;
using CourseKit.Data;
using CourseKit.Native;
using CourseKit.Tasks.Monitoring;
using CourseKit.Tasks.SequenceClassification;

namespace CourseKit.Cli.Verbs;

/// <summary><c>course monitor train|run|folds</c>: chapter 09's financial sentiment monitor (CourseKit.Tasks.Monitoring does
/// the work). train: fine-tune, calibrate, simulate the detector, measure drift AUROC, attribute entities, write
/// &lt;out&gt;/model and metrics.json; folds: pool train runs over disjoint test folds; run: score a stream file and write alerts.json, index.csv and dashboard.html.</summary>
public static class MonitorVerb
{
    public static Command Create()
    {
        var cmd = new Command("monitor", "Financial sentiment monitoring: a calibrated classifier on a stream, with entities, change alerts and drift alerts.");
        cmd.Subcommands.Add(CreateTrain());
        cmd.Subcommands.Add(CreateRun());
        cmd.Subcommands.Add(CreateFolds());
        return cmd;
    }

    static Command CreateTrain()
    {
        var run = new RunOptions("artifacts/monitor");
        var ner = new Option<string?>("--ner") { Description = "A saved NER model folder (e.g. <out>/model of `course reproduce conll`) instead of a short CoNLL training run." };
        var noEntities = new Option<bool>("--no-entities") { Description = "Skip the NER model and the per-company table." };
        var oneHot = new Option<bool>("--one-hot") { Description = "Train the classifier towards the majority labels alone (default: soft targets from annotator agreement, see `finetune --agreement-targets`)." };
        var testFold = new Option<int?>("--test-fold") { Description = FineTuneVerb.TestFoldHelp + " `monitor folds` pools such runs." };
        var cmd = new Command("train", "Fine-tune on PhraseBank 50Agree and measure: accuracy per agreement level, ECE before/after temperature scaling, detector simulation, drift AUROC, entities.") { ner, noEntities, oneHot, testFold };
        run.AddTo(cmd);
        cmd.SetAction(parse => VerbActions.Run(parse, output =>
        {
            TorchRuntime.Initialize();
            run.ApplyThreads(parse);
            var options = MonitorOptions.For(parse.GetValue(run.Profile), run.OutDir(parse), parse.GetValue(run.Seed)) with
            {
                NerModelDir = parse.GetValue(ner) is { Length: > 0 } n ? Path.GetFullPath(n) : null,
                Entities = !parse.GetValue(noEntities),
            };
            if (parse.GetValue(oneHot)) options = options with { FineTune = options.FineTune with { AgreementTargets = false } };
            if (parse.GetValue(testFold) is { } fold) options = options with { FineTune = options.FineTune with { TestFold = fold } };
            var result = MonitorTraining.Run(options);
            output.WriteLine(result.Summary());
            output.WriteLine($"wrote {result.ModelDir} and {Path.Combine(options.OutputDir, MonitorTraining.MetricsFile)} in {result.WallSeconds:F0} s");
            return 0;
        }));
        return cmd;
    }

    static Command CreateFolds()
    {
        var runs = new Option<string>("--runs") { Description = "The --out folders of `monitor train --test-fold K` runs, comma-separated.", Required = true };
        var json = new Option<string?>("--json") { Description = "Also write the figures to this JSON file." };
        var cmd = new Command("folds", "Pool monitor train runs over disjoint test folds: accuracy mean ± sd, and accuracy and ECE on all their test sentences together.") { runs, json };
        cmd.SetAction(parse => VerbActions.Run(parse, output =>
        {
            var dirs = parse.GetValue(runs)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Path.GetFullPath).ToArray();
            // Broken down by agreement level where the PhraseBank files are already in the cache (monitor train put them there).
            var summary = MonitorFolds.Pool(dirs, DataRegistry.Default.IsAvailable("financial-phrasebank") ? DataRegistry.Default : null);
            output.WriteLine(summary.Summary());
            if (parse.GetValue(json) is { Length: > 0 } file)
            {
                Checkpoints.AtomicFile.WriteAllText(Path.GetFullPath(file), summary.ToJson().ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
                output.WriteLine($"wrote {Path.GetFullPath(file)}");
            }
            return 0;
        }));
        return cmd;
    }

    static Command CreateRun()
    {
        var model = new Option<string?>("--model") { Description = "The monitor model folder (default artifacts/monitor/model, written by `course monitor train`)." };
        var stream = new Option<string>("--stream") { Description = "The stream file: .csv with header time,source,text, or .jsonl with one {time, source, text} object per line.", Required = true };
        var outDir = new Option<string?>("--out") { Description = "Where alerts.json, index.csv, entities.csv and dashboard.html go (default artifacts/monitor/run)." };
        var threads = RunOptions.CreateThreadsOption();
        var cmd = new Command("run", "Score a stream file in batches and write the daily index, the alerts and an offline HTML dashboard.") { model, stream, outDir, threads };
        cmd.SetAction(parse => VerbActions.Run(parse, output =>
        {
            TorchRuntime.Initialize();
            MallocTuning.Ensure(AllocatorUse.Inference);                  // scoring windows in a loop: activations stay in the heap (see MallocTuning)
            RunOptions.ApplyThreads(parse, threads);
            var modelDir = parse.GetValue(model) is { Length: > 0 } m ? Path.GetFullPath(m) : CoursePaths.Resolve("artifacts/monitor/model");
            var target = parse.GetValue(outDir) is { Length: > 0 } o ? Path.GetFullPath(o) : CoursePaths.Resolve("artifacts/monitor/run");
            var monitor = MonitorModel.Load(modelDir);
            var entities = monitor.Tagger is null ? null : new EntitySentimentAggregator();
            var result = StreamMonitor.Run(StreamFile.Read(Path.GetFullPath(parse.GetValue(stream)!)), monitor, entities);
            MonitorDashboard.Write(target, result, entities?.Summary(minCount: 2));
            output.WriteLine($"{result.Rows:N0} rows over {result.Days.Count} days in {result.Seconds:F1} s ({result.RowsPerSecond:F0} rows/s); {result.Alerts.Count} alert(s)");
            foreach (var a in result.Alerts) output.WriteLine($"  {a.Day:yyyy-MM-dd} {a.Kind}: {a.Message}");
            output.WriteLine($"wrote {Path.Combine(target, MonitorDashboard.DashboardFile)}, {MonitorDashboard.AlertsFile}, {MonitorDashboard.IndexFile}");
            return 0;
        }, (ex, message) => message.Replace("train one first (monitor train writes <out>/model)", "train one first with `course monitor train` (it writes <out>/model), or pass --model DIR")));
        return cmd;
    }

}
