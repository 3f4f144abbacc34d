using System.Diagnostics;
using CourseKit.Checkpoints;
using CourseKit.Models;
using CourseKit.Reporting;
using CourseKit.Tasks.SequenceClassification;
using CourseKit.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tasks.Distillation;

/// <summary>One training of a student: what it learns from, and whether it also sees the transfer set.</summary>
public sealed record StudentRun(DistillationLoss Losses, bool Transfer)
{
    /// <summary>"hard" (the control), "hard+transfer", or the losses ("soft+hidden").</summary>
    public string Name => Losses == DistillationLoss.None ? (Transfer ? "hard+transfer" : "hard") : DistillationLossNames.Name(Losses);
}

/// <summary>
/// Chapter 10's experiment: fine-tunes the teacher (all-MiniLM-L6-v2, or takes a fine-tuned folder), labels the
/// transfer set with it, trains every student twice or more (hard labels only = the control; the chosen losses on
/// labelled + transfer sentences; with <see cref="DistillationOptions.Ablation"/> each loss alone), saves each student
/// as a Hugging Face BERT folder, times all models side by side and writes results.json, results.md and the Pareto
/// chart. Folder layout: teacher/ (the fine-tuning run, best-model/ is the teacher), students/&lt;name&gt;/, work/.
/// </summary>
public static class DistillationExperiment
{
    public static DistillationResult Run(DistillationOptions o, CancellationToken cancel = default)
    {
        o.Validate();
        var clock = Stopwatch.StartNew();
        var outDir = o.OutputDir ?? Path.Combine(Path.GetTempPath(), $"coursekit-distill-{Guid.NewGuid():N}");
        Directory.CreateDirectory(outDir);
        var (teacherDir, splitFile) = o.TeacherDir is { } given ? (given, SplitBeside(given)) : FineTuneTeacher(o, outDir, cancel);
        var fineTune = TeacherFineTuneOptions(o) with { SplitFile = splitFile };
        var data = FineTuningData.Load(fineTune);

        var teacherModel = BertForSequenceClassification.FromPretrained(teacherDir);
        var teacher = new DistillationTeacher(teacherModel, Pretrained.LoadTokenizer(teacherDir), data.Labels);
        if (teacherModel.Config.NumLabels != data.Labels.Count)
            throw new ArgumentException($"{teacherDir} has {teacherModel.Config.NumLabels} labels but {data.Name} has {data.Labels.Count}: give a teacher fine-tuned on this task");
        var transfer = DistillationData.TransferSentences(o.Task, data, o.TransferSize, o.Seed, o.Registry);
        Reporter.Show($"distillation on {data.Name}: {data.Train.Count} labelled + {transfer.Count} transfer sentences, teacher {teacherDir}");

        var students = new List<DistilledStudent>();
        var teacherLogitsByText = new Dictionary<string, float[]>(StringComparer.Ordinal);   // the teacher reads each sentence once
        foreach (var kind in o.Students)
            foreach (var run in Runs(o))
            {
                cancel.ThrowIfCancellationRequested();
                var student = StudentFactory.Create(kind, teacherModel, teacher.Tokenizer, o.Seed);
                var name = $"{student.Spec.Name} {run.Name}";
                var train = DistillationData.Build(teacherModel, teacher.Tokenizer, student.Tokenizer, data.Train, run.Transfer ? transfer : [], o.MaxLength, teacherLogitsByText);
                var (validation, test) = (Encode(student.Tokenizer, data.Validation, o.MaxLength), Encode(student.Tokenizer, data.Test, o.MaxLength));
                var workDir = Path.Combine(outDir, "work", FolderName(name));
                var trained = DistillationTraining.Train(name, student, teacher, run.Losses, train, validation, test, o, workDir, cancel);
                Reporter.Show($"{name}: test accuracy {trained.Test.Accuracy:F4}, macro-F1 {trained.Test.MacroF1:F4} ({trained.TrainSeconds:F0} s)");
                students.Add(trained);
                TryDelete(workDir);
            }
        TryDelete(Path.Combine(outDir, "work"));
        var result = Measure(o, data, teacherDir, teacher, students, outDir, clock);
        result.Save(outDir);
        return result;
    }

    /// <summary>The control (hard labels on the labelled set), then with ablation hard labels on labelled + transfer
    /// sentences (the teacher's answers as plain labels: what the extra data alone buys) and each chosen loss alone,
    /// and last the chosen losses together (labelled + transfer).</summary>
    public static IReadOnlyList<StudentRun> Runs(DistillationOptions o)
    {
        var runs = new List<StudentRun> { new(DistillationLoss.None, Transfer: false) };
        if (o.Ablation)
        {
            runs.Add(new StudentRun(DistillationLoss.None, Transfer: true));
            runs.AddRange(DistillationLossNames.Each(o.Losses).Where(l => l != o.Losses).Select(l => new StudentRun(l, Transfer: true)));
        }
        if (o.Losses != DistillationLoss.None) runs.Add(new StudentRun(o.Losses, Transfer: true));
        return runs;
    }

    /// <summary>The fine-tuning run of the teacher: the kit's MiniLM recipe (full fine-tuning, lr 1e-4) on the run's split sizes.</summary>
    public static FineTuneOptions TeacherFineTuneOptions(DistillationOptions o) => new()
    {
        Task = o.Task, ModelDir = CoursePaths.DefaultEncoder, LearningRate = FineTuneOptions.DefaultEncoderLearningRate,
        TrainSize = o.TrainSize, ValidationSize = o.ValidationSize, TestSize = o.TestSize, Epochs = o.TeacherEpochs,
        MaxLength = o.MaxLength, Seed = o.Seed, Registry = o.Registry,
    };

    static (string TeacherDir, string? SplitFile) FineTuneTeacher(DistillationOptions o, string outDir, CancellationToken cancel)
    {
        var run = FineTuning.Run(TeacherFineTuneOptions(o) with { ModelDir = ImportedEncoders.EnsureDefault(), OutputDir = Path.Combine(outDir, "teacher") }, cancel);
        Reporter.Show($"teacher: test accuracy {run.Test.Accuracy:F4}, macro-F1 {run.Test.MacroF1:F4} ({run.WallSeconds:F0} s)");
        (run.Classifier?.Module as IDisposable)?.Dispose();
        return (run.BestModelDir!, run.SplitFile);
    }

    /// <summary>A teacher written by a fine-tuning run sits in &lt;run&gt;/best-model beside &lt;run&gt;/split.json: reuse that split.</summary>
    static string? SplitBeside(string teacherDir)
    {
        var parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(teacherDir)));
        var split = parent is null ? null : Path.Combine(parent, FineTuning.SplitFileName);
        return split is not null && File.Exists(split) ? split : null;
    }

    static DistillationResult Measure(DistillationOptions o, ClassificationData data, string teacherDir, DistillationTeacher teacher,
        IReadOnlyList<DistilledStudent> students, string outDir, Stopwatch clock)
    {
        var teacherTest = DistillationTraining.Evaluate(teacher.Model, Encode(teacher.Tokenizer, data.Test, o.MaxLength), teacher.Labels, teacher.Tokenizer.PadId).Report;
        var studentDirs = students.Select(s => SaveStudent(s, Path.Combine(outDir, "students", FolderName(s.Name)), o.MaxLength)).ToArray();
        var speeds = DistillationSpeed.Measure(students.Select(s => s.Student.Model).Prepend(teacher.Model).ToArray(), o.BenchmarkSequenceLength, o.BenchmarkRepeats, o.Seed);
        long teacherParameters = ParameterCounts.Total(teacher.Model);
        DistillationRow Row(string name, string kind, string losses, BertForSequenceClassification model, Metrics.ClassificationReport test, double validationF1,
            SpeedFigures speed, string dir) => new()
        {
            Name = name, Student = kind, Losses = losses, Layers = model.Config.NumHiddenLayers,
            TestAccuracy = test.Accuracy, TestMacroF1 = test.MacroF1, ValidationMacroF1 = validationF1,
            ShareOfTeacherAccuracy = test.Accuracy / teacherTest.Accuracy, Parameters = ParameterCounts.Total(model),
            ParameterShare = ParameterCounts.Total(model) / (double)teacherParameters,
            CheckpointBytes = new FileInfo(Path.Combine(dir, Pretrained.WeightsFile)).Length,
            Batch1LatencyMs = speed.Batch1LatencyMs, Batch32LatencyMs = speed.Batch32LatencyMs, Batch32Throughput = speed.Batch32Throughput,
            Batch1SpeedUp = speeds[0].Batch1LatencyMs / speed.Batch1LatencyMs, Batch32SpeedUp = speed.Batch32Throughput / speeds[0].Batch32Throughput,
            ModelDir = dir,
        };
        var teacherRow = Row("teacher", "teacher", "-", teacher.Model, teacherTest, 0, speeds[0], teacherDir);
        var rows = students.Select((s, i) => Row(s.Name, s.Student.Spec.Name, s.Name.Split(' ', 2)[1] /* "<kind> <run>" */, s.Student.Model, s.Test,
            s.Validation.MacroF1, speeds[i + 1], studentDirs[i]) with
        {
            LabelledExamples = s.LabelledCount, TransferExamples = s.TransferCount, Steps = s.Steps, TrainSeconds = s.TrainSeconds,
        }).ToArray();
        return new DistillationResult
        {
            Task = data.Name, Teacher = teacherRow, Students = rows, Temperature = o.Temperature, Alpha = o.Alpha,
            SequenceLength = o.BenchmarkSequenceLength, BenchmarkRepeats = o.BenchmarkRepeats, Threads = torch.get_num_threads(), Seed = o.Seed,
            WallSeconds = clock.Elapsed.TotalSeconds, OutputDir = o.OutputDir, TeacherModel = teacher, StudentModels = students,
        };
    }

    /// <summary>The student alone (no projections) as an ordinary Hugging Face BertForSequenceClassification folder.</summary>
    public static string SaveStudent(DistilledStudent s, string dir, int maxLength)
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Pretrained.Save(s.Student.Model, dir, s.Student.Tokenizer, maxLength);
        return dir;
    }

    public static EncodedExample[] Encode(BertTextTokenizer tokenizer, IReadOnlyList<LabeledText> part, int maxLength) =>
        SequenceClassificationBatches.Encode(tokenizer, part, maxLength);

    /// <summary>softmax(logits / T): the teacher's soft targets at temperature T.</summary>
    public static double[] Soften(IReadOnlyList<float> logits, double temperature)
    {
        var scaled = logits.Select(l => l / temperature).ToArray();
        double max = scaled.Max();
        var exp = scaled.Select(s => Math.Exp(s - max)).ToArray();
        double sum = exp.Sum();
        return exp.Select(e => e / sum).ToArray();
    }

    /// <summary>Class probabilities of a classifier for new texts, one row per text in label order.</summary>
    public static float[][] Predict(BertForSequenceClassification model, BertTextTokenizer tokenizer, IReadOnlyList<string> texts, int maxLength = 128)
    {
        var encoded = Encode(tokenizer, texts.Select((t, i) => new LabeledText(i, t, 0)).ToArray(), maxLength);
        return SequenceClassificationBatches.Predict(model, (i, m, t, l) => model.forward(i, m, t, l), encoded, tokenizer.PadId).Probabilities;
    }

    static string FolderName(string name) => name.Replace(' ', '-').Replace('+', '-');

    static void TryDelete(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
