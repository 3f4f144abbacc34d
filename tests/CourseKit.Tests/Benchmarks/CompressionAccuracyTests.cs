using System.CommandLine;
using CourseKit.Benchmarks;
using CourseKit.Cli.Verbs;
using CourseKit.Data;
using CourseKit.Models;
using CourseKit.Checkpoints;
using CourseKit.Serving;
using CourseKit.Tasks.QuestionAnswering;
using CourseKit.Tasks.TokenClassification;
using CourseKit.Tests.Serving;

namespace CourseKit.Tests.Benchmarks;

/// <summary><see cref="CompressionAccuracy"/> and <c>course bench accuracy</c> on tiny random folders: every backend
/// reads the same windows, fp32 ONNX gives the kit's log-probabilities, bf16 and int8 visibly round them, and the
/// table's deltas are against the first backend.</summary>
[Collection(Models.TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public sealed class CompressionAccuracyTests(ServingModelsFixture models) : IClassFixture<ServingModelsFixture>
{
    static readonly TokenClassificationOptions Options = new() { MaxLength = 16, Stride = 4, EvalBatchSize = 4 };

    static ConllSentence Sentence(string text, string tags)
    {
        var words = text.Split(' ');
        var none = words.Select(_ => "-").ToArray();
        return new ConllSentence(words, none, none, tags.Split(' '), 0, 1);
    }

    TokenClassificationData Data()
    {
        // Names and places in a frame, some sentences longer than one 16-token window (so windows overlap).
        string[] people = ["John Smith", "Maria Lopez", "Wei Chen"], places = ["Paris", "Berlin", "New York"];
        var sentences = people.SelectMany(p => places.Select(c => c.Contains(' ')
            ? Sentence($"{p} flew to {c} on Monday and stayed there for a long week of meetings .", "B-PER I-PER O O B-LOC I-LOC O O O O O O O O O O O O")
            : Sentence($"{p} lives in {c} .", "B-PER I-PER O O B-LOC O"))).ToArray();
        return TokenClassificationData.FromConll(Pretrained.LoadTokenizer(models.Dirs[ServingTask.Ner]), sentences, Options, ServingModelsFixture.NerLabels);
    }

    [Fact]
    public void Onnx_fp32_reproduces_the_kit_and_bf16_and_int8_round_visibly()
    {
        var dir = models.Dirs[ServingTask.Ner];
        var data = Data();
        var work = TestPaths.NewTempDir("coursekit-compression");
        var byBackend = CompressionAccuracy.Backends.ToDictionary(b => b, b => CompressionAccuracy.TaggerLogProbs(dir, b, data, Options, work, threads: 1));
        double MaxDiff(string backend) => byBackend[backend].Zip(byBackend["torch-fp32"]).SelectMany(s => s.First.Zip(s.Second))
            .SelectMany(w => w.First.Zip(w.Second, (a, b) => (double)Math.Abs(a - b))).Max();
        Assert.Equal(data.Windows.Select(w => w.SentenceIndex).Distinct().Count(), byBackend["onnx-fp32"].Length);
        // The random head's log-probabilities are near uniform, so even int8 moves them little; what matters is that
        // fp32 ONNX sits at float noise and the compressed backends at least ten times above it.
        double fp32 = MaxDiff("onnx-fp32");
        Assert.InRange(fp32, 0, 1e-5);
        Assert.InRange(MaxDiff("torch-bf16"), Math.Max(10 * fp32, 1e-5), 0.5);
        Assert.InRange(MaxDiff("onnx-int8"), Math.Max(10 * fp32, 1e-5), 0.5);
        Assert.True(File.Exists(Path.Combine(work, "token-classification.int8.onnx")), "the graphs go to the work folder");
        Assert.False(Directory.Exists(Path.Combine(dir, "onnx")), "never into the model folder");
    }

    [Fact]
    public void The_tagger_table_has_a_row_per_backend_and_decoding_with_deltas_against_the_first()
    {
        var rows = CompressionAccuracy.Tagger(models.Dirs[ServingTask.Ner], Data(), Options, ["torch-fp32", "onnx-int8"], TestPaths.NewTempDir("coursekit-compression"), threads: 1);
        Assert.Equal(["torch-fp32", "torch-fp32", "onnx-int8", "onnx-int8"], rows.Select(r => r.Backend));
        Assert.Equal(["entity F1 (argmax)", "entity F1 (iob2_constrained)"], rows.Take(2).Select(r => r.Metric));
        Assert.All(rows, r => Assert.InRange(r.Score, 0, 100));
        Assert.Equal(rows[2].Score - rows[0].Score, rows[2].DeltaPoints, 9);
        Assert.Equal(rows[3].Score - rows[1].Score, rows[3].DeltaPoints, 9);
        Assert.Null(rows[0].GraphBytes);
        Assert.True(rows[2].GraphBytes > 0);
        Assert.Contains("onnx-q4", Assert.Throws<ArgumentException>(() =>
            CompressionAccuracy.Tagger(models.Dirs[ServingTask.Ner], Data(), Options, ["torch-fp32", "onnx-q4"], TestPaths.NewTempDir("x"))).Message);
    }

    [Fact]
    public void The_verb_refuses_a_folder_without_config_and_a_bad_split_naming_them()
    {
        var missing = TestPaths.NewTempDir("coursekit-no-model");
        var (code, error) = Invoke("--model", missing, "--out", TestPaths.NewTempDir("acc"));
        Assert.Equal(1, code);
        Assert.Contains(Path.Combine(missing, "config.json"), error);
        (code, error) = Invoke("--model", models.Dirs[ServingTask.Ner], "--split", "train", "--out", TestPaths.NewTempDir("acc"));
        Assert.Equal(1, code);
        Assert.Contains("--split must be test or valid, got 'train'", error);
    }

    [Fact]
    public void The_reader_is_scored_per_backend_and_onnx_fp32_gives_the_kits_logits()
    {
        var dir = models.Dirs[ServingTask.Qa];
        var data = Tasks.QuestionAnswering.QaTestSupport.XquadEn;
        var questions = data.Questions.Take(8).ToArray();
        var options = new QuestionAnsweringOptions { MaxLength = 96, Stride = 32, EvalBatchSize = 4 };
        var work = TestPaths.NewTempDir("coursekit-compression-qa");
        var rows = CompressionAccuracy.Reader(dir, data, questions, options, ["torch-fp32", "onnx-fp32", "onnx-int8"], work, threads: 1);
        Assert.Equal(["torch-fp32", "torch-fp32", "onnx-fp32", "onnx-fp32", "onnx-int8", "onnx-int8"], rows.Select(r => r.Backend));
        Assert.Equal(["exact match", "F1"], rows.Take(2).Select(r => r.Metric));
        Assert.Equal(rows[5].Score - rows[1].Score, rows[5].DeltaPoints, 9);
        Assert.Equal(rows[4].Score - rows[0].Score, rows[4].DeltaPoints, 9);
        Assert.True(rows[4].GraphBytes < rows[2].GraphBytes, "the int8 graph is smaller");

        // The ONNX window scorer the benchmark and the service share: fp32 start/end logits at float noise from the kit's.
        var tokenizer = Pretrained.LoadTokenizer(dir);
        var features = QaFeatures.Build(tokenizer, data, questions, options.MaxLength, options.Stride);
        using var reader = BertForQuestionAnswering.FromPretrained(dir);
        var kit = QuestionAnsweringTask.Logits(reader, tokenizer, features, batchSize: 3);
        var graph = Directory.GetFiles(work, "*.onnx").Single(p => !p.Contains(".int8."));
        using var session = new OnnxBertSession(graph, 1);
        var onnx = QuestionAnsweringTask.Logits(session, tokenizer, features, batchSize: 5);
        Assert.Equal(features.Count, onnx.Count);
        double diff = kit.Zip(onnx).Max(w => w.First.Start.Zip(w.Second.Start).Concat(w.First.End.Zip(w.Second.End)).Max(x => Math.Abs(x.First - x.Second)));
        Assert.InRange(diff, 0, 1e-4);
        Assert.Equal(rows[0].Score, rows[2].Score);                           // the same logits give the same answers
    }

    [Fact]
    public void The_verb_refuses_a_reader_without_its_fold_file()
    {
        var (code, error) = Invoke("--model", models.Dirs[ServingTask.Qa], "--out", TestPaths.NewTempDir("acc"));
        Assert.Equal(1, code);
        Assert.Contains($"{models.Dirs[ServingTask.Qa]}: no {ReaderFold.FileName}", error);
    }

    [Fact]
    public void Pruned_copies_are_scored_against_the_unpruned_baseline_on_one_sparsity_axis()
    {
        var levels = PruningLevel.Parse("magnitude:0.5 heads:0.25,0.5");
        Assert.Equal([new(PruningLevel.Magnitude, 0.5), new(PruningLevel.Heads, 0.25), new(PruningLevel.Heads, 0.5)], levels);
        var dir = models.Dirs[ServingTask.Ner];
        var work = TestPaths.NewTempDir("coursekit-pruning-curve");
        var baseline = CompressionAccuracy.Tagger(dir, Data(), Options, ["torch-fp32"], work, threads: 1);
        var rows = PruningCurve.Run(dir, levels, work, baseline, folder => CompressionAccuracy.Tagger(folder, Data(), Options, ["torch-fp32"], work, threads: 1));
        // hidden 32, 2 layers of 2 heads: one head is 4·32·16 of the 2·(4·32² + 2·32·64) encoder weights, 12.5 %;
        // half the heads is one per layer (each keeps one), 25 %.
        Assert.Equal(["magnitude 0.5 (50.0% zero)", "heads 0.25 (12.5% zero)", "heads 0.5 (25.0% zero)"], rows.Select(r => r.Backend).Distinct());
        Assert.Equal(6, rows.Count);
        Assert.All(rows, r => Assert.Equal(r.Score - baseline.First(b => b.Metric == r.Metric).Score, r.DeltaPoints, 9));
        Assert.True(File.Exists(Path.Combine(work, "pruned-heads-0.25", HeadPruning.FileName)));

        Assert.Contains("'1.0' is not a share", Assert.Throws<ArgumentException>(() => PruningLevel.Parse("heads:1.0")).Message);
        Assert.Contains("not 'lottery'", Assert.Throws<ArgumentException>(() => PruningLevel.Parse("lottery:0.5")).Message);
        Assert.Contains("expected METHOD:SHARE", Assert.Throws<ArgumentException>(() => PruningLevel.Parse("heads")).Message);
    }

    static (int Code, string Error) Invoke(params string[] args)
    {
        var error = new StringWriter();
        int code = BenchVerb.Create().Parse(["accuracy", .. args]).Invoke(new InvocationConfiguration { Output = new StringWriter(), Error = error });
        return (code, error.ToString());
    }
}
