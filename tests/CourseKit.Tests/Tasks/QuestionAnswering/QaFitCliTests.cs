using System.CommandLine;
using System.Text.Json.Nodes;
using CourseKit.Cli.Verbs;
using CourseKit.Models;
using CourseKit.Native;
using CourseKit.Tasks.QuestionAnswering;
using CourseKit.Tasks.SequenceClassification;
using CourseKit.Text;

namespace CourseKit.Tests.Tasks.QuestionAnswering;

/// <summary><c>qa synth</c> writes questions the SQuAD reader accepts; <c>qa fit</c> trains one reader on a file and the
/// next training starts from its QA head (a tiny random BERT: the mechanics, not the scores).</summary>
[Collection(Models.TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public sealed class QaFitCliTests : IDisposable
{
    readonly string _root = TestPaths.NewTempDir("coursekit-qa-fit");
    public void Dispose() => Directory.Delete(_root, recursive: true);

    static (int Code, string Output, string Error) Run(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        int code = QaVerb.Create().Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void Synth_then_fit_gives_a_reader_whose_head_the_next_training_starts_from()
    {
        TorchRuntime.Initialize();
        var synth = Path.Combine(_root, "cloze.json");
        var (code, output, error) = Run("synth", "--out", synth, "--max", "40");
        Assert.True(code == 0, error);
        Assert.Contains("wrote", output);
        Assert.Equal(40, CourseKit.Data.SquadReader.Load(synth).Questions.Count);

        var tiny = Path.Combine(_root, "tiny-bert");
        var tokenizer = BertTextTokenizer.Uncased(TestPaths.InRepo("datasets", "bert-vocab", "bert-base-uncased-vocab.txt"));
        SequenceClassificationModels.CreateRandomBert(tiny, tokenizer, hiddenSize: 32, layers: 1, heads: 2, intermediateSize: 64, maxPositions: 192, seed: 1);
        var outDir = Path.Combine(_root, "fit");
        (code, output, error) = Run("fit", "--profile", "quick", "--model", tiny, "--data", synth, "--out", outDir, "--epochs", "1", "--threads", "1");
        Assert.True(code == 0, error);
        var fit = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "fit.json")))!;
        Assert.Equal(32, fit["questions"]!.GetValue<int>());                  // quick: a 32-question sample
        Assert.True(fit["steps"]!.GetValue<long>() >= 1);

        using var fitted = BertForQuestionAnswering.FromPretrained(Path.Combine(outDir, "model"));
        TorchSharp.torch.manual_seed(123);                                     // another random head, were it not loaded
        using var again = BertForQuestionAnswering.FromPretrained(Path.Combine(outDir, "model"));
        Assert.True(fitted.qa_outputs.weight!.eq(again.qa_outputs.weight!).all().item<bool>(), "the saved QA head is loaded, not drawn again");
        using var fresh = BertForQuestionAnswering.FromPretrained(tiny);
        Assert.False(fresh.qa_outputs.weight!.eq(fitted.qa_outputs.weight!).all().item<bool>());
    }

    [Fact]
    public void Fit_without_a_readable_file_names_it()
    {
        var missing = Path.Combine(_root, "none.json");
        var (code, _, error) = Run("fit", "--data", missing, "--out", Path.Combine(_root, "x"));
        Assert.Equal(1, code);
        Assert.Contains(missing, error);
    }
}
