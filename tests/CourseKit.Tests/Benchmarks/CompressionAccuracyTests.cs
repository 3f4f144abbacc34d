using System.CommandLine;
using CourseKit.Benchmarks;
using CourseKit.Cli.Verbs;
using CourseKit.Data;
using CourseKit.Models;
using CourseKit.Serving;
using CourseKit.Tasks.TokenClassification;
using CourseKit.Tests.Serving;

namespace CourseKit.Tests.Benchmarks;

/// <summary><see cref="CompressionAccuracy"/> and <c>course bench accuracy</c> on tiny random folders: every backend
/// reads the same windows, fp32 ONNX gives the kit's log-probabilities, bf16 and int8 visibly round them, and the
/// table's deltas are against the first backend.</summary>
[Collection(Models.TorchGlobalRngCollection.Name)]
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

    static (int Code, string Error) Invoke(params string[] args)
    {
        var error = new StringWriter();
        int code = BenchVerb.Create().Parse(["accuracy", .. args]).Invoke(new InvocationConfiguration { Output = new StringWriter(), Error = error });
        return (code, error.ToString());
    }
}
