using CourseKit.Checkpoints;
using CourseKit.Models;
using CourseKit.Native;
using CourseKit.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tests.Models;

[Collection(TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public class PretrainedFolderTests
{
    static readonly string Fixture = TestPaths.InRepo("tests", "fixtures", "bert-parity");

    public PretrainedFolderTests() => TorchRuntime.Initialize();

    static Tensor Ids() => torch.tensor(new long[] { 2, 17, 33, 5, 3, 0 }, new long[] { 1, 6 });

    [Fact]
    public void Save_then_load_reproduces_outputs_and_the_tokenizer()
    {
        using var original = BertForTokenClassification.FromPretrained(Fixture, new[] { "O", "B-PER", "I-PER" });
        original.eval();
        var dir = TestPaths.NewTempDir();
        var tokenizer = BertTextTokenizer.Cased(TestPaths.InRepo("datasets", "bert-vocab", "bert-base-cased-vocab.txt"));
        original.SavePretrained(dir, tokenizer, modelMaxLength: 64);

        Assert.True(File.Exists(Path.Combine(dir, Pretrained.ConfigFile)));
        Assert.Equal("pt", SafeTensorsFile.Open(Path.Combine(dir, Pretrained.WeightsFile)) is var f ? f.Metadata["format"] : null);
        var (reloaded, report, _) = Pretrained.Load(dir, BertConfig.Load, c => new BertForTokenClassification(c));
        Assert.True(report.IsComplete, report.ToString());
        Assert.Empty(report.Unexpected);
        Assert.Equal(new[] { "O", "B-PER", "I-PER" }, reloaded.Config.Id2Label!.OrderBy(kv => int.Parse(kv.Key)).Select(kv => kv.Value));
        reloaded.eval();
        using var noGrad = torch.no_grad();
        var a = original.forward(Ids(), null, null, null).Logits;
        var b = reloaded.forward(Ids(), null, null, null).Logits;
        Assert.Equal(0f, (a - b).abs().max().item<float>());

        var cased = Pretrained.LoadTokenizer(dir);
        Assert.False(cased.LowerCase);
        Assert.Equal(new[] { 101, 8667, 117, 1362, 106, 102 }, cased.Encode("Hello, world!").InputIds);
    }

    [Fact]
    public void A_base_checkpoint_under_a_new_head_reports_the_head_as_missing()
    {
        var shown = new List<object>();
        var previous = CourseKit.Reporting.Reporter.Current;
        CourseKit.Reporting.Reporter.Current = new RecordingSink(shown);
        try
        {
            var (_, report, _) = Pretrained.Load(Fixture, BertConfig.Load, c => new BertForSequenceClassification(c.WithLabels(new[] { "neg", "pos" })));
            Assert.Equal(new[] { "classifier.bias", "classifier.weight" }, report.Missing.Order());
        }
        finally { CourseKit.Reporting.Reporter.Current = previous; }
        var warning = Assert.IsType<LoadWarning>(Assert.Single(shown));
        Assert.Contains("classifier.weight", warning.ToString());
        Assert.Contains("fine-tune", warning.ToString());
    }

    [Fact]
    public void Missing_weights_and_wrong_shapes_name_the_file()
    {
        var dir = TestPaths.NewTempDir();
        File.Copy(Path.Combine(Fixture, "config.json"), Path.Combine(dir, "config.json"));
        var missing = Assert.Throws<FileNotFoundException>(() => BertModel.FromPretrained(dir));
        Assert.Contains(Path.Combine(dir, "model.safetensors"), missing.Message);

        File.Copy(Path.Combine(Fixture, "model.safetensors"), Path.Combine(dir, "model.safetensors"));
        var config = BertConfig.Load(Path.Combine(dir, "config.json"));
        config.IntermediateSize += 8;
        config.Save(Path.Combine(dir, "config.json"));
        var shape = Assert.Throws<InvalidDataException>(() => BertModel.FromPretrained(dir));
        Assert.Contains("model.safetensors", shape.Message);
        Assert.Matches(@"intermediate\.dense\.(weight|bias)': the model expects shape \[72", shape.Message);

        Assert.Throws<DirectoryNotFoundException>(() => BertModel.FromPretrained(Path.Combine(dir, "nope")));
    }

    [Fact]
    public void A_truncated_weights_file_is_refused_with_its_name()
    {
        var dir = TestPaths.NewTempDir();
        File.Copy(Path.Combine(Fixture, "config.json"), Path.Combine(dir, "config.json"));
        var bytes = File.ReadAllBytes(Path.Combine(Fixture, "model.safetensors"));
        File.WriteAllBytes(Path.Combine(dir, "model.safetensors"), bytes[..(bytes.Length / 2)]);
        var ex = Assert.Throws<SafeTensorsFormatException>(() => BertModel.FromPretrained(dir));
        Assert.Contains("model.safetensors", ex.Message);
    }

    sealed class RecordingSink(List<object> shown) : CourseKit.Reporting.IReportSink
    {
        public CourseKit.Reporting.IProgressHandle StartProgress(string title, long? total) => CourseKit.Reporting.Reporter.Silent.Instance;
        public void Show(object value) => shown.Add(value);
    }
}
