using System.Text.Json.Nodes;
using CourseKit.Models;

namespace CourseKit.Tests.Models;

[KeepTensorsAlive]
public class BertConfigTests
{
    [Fact]
    public void Reads_the_fixture_config_and_round_trips_unknown_keys()
    {
        var config = BertConfig.Load(TestPaths.InRepo("tests", "fixtures", "bert-parity", "config.json"));
        Assert.Equal(100, config.VocabSize);
        Assert.Equal(32, config.HiddenSize);
        Assert.Equal(2, config.NumHiddenLayers);
        Assert.Equal(4, config.NumAttentionHeads);
        Assert.Equal(64, config.IntermediateSize);
        Assert.Equal(1e-12, config.LayerNormEps);
        Assert.Equal("gelu", config.HiddenAct);
        Assert.Equal(["BertModel"], config.Architectures);

        var dir = TestPaths.NewTempDir();
        var path = Path.Combine(dir, "config.json");
        config.Save(path);
        var written = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        Assert.Equal("4.40.0", (string?)written["transformers_version"]);   // unknown key kept
        Assert.True((bool)written["use_cache"]!);
        Assert.Equal(64, (int)written["intermediate_size"]!);
        Assert.Equal("bert", (string?)written["model_type"]);
        var again = BertConfig.Load(path);
        Assert.Equal(config.ToJson(), again.ToJson());
    }

    [Fact]
    public void Hidden_size_not_divisible_by_heads_is_an_error_naming_the_file()
    {
        var dir = TestPaths.NewTempDir();
        var path = Path.Combine(dir, "config.json");
        File.WriteAllText(path, """{"model_type":"bert","hidden_size":30,"num_attention_heads":4}""");
        var e = Assert.Throws<InvalidDataException>(() => BertConfig.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("num_attention_heads", e.Message);
    }

    [Theory]
    [InlineData("vocab_size", 0)]
    [InlineData("num_hidden_layers", -1)]
    [InlineData("intermediate_size", 0)]
    public void Non_positive_sizes_are_errors(string field, int value)
    {
        var e = Assert.Throws<InvalidDataException>(() => BertConfig.FromJson($$"""{"{{field}}": {{value}} }""", "x/config.json"));
        Assert.Contains(field, e.Message);
        Assert.Contains("x/config.json", e.Message);
    }

    [Fact]
    public void Broken_json_names_file_and_line()
    {
        var e = Assert.Throws<InvalidDataException>(() => BertConfig.FromJson("{\n\"hidden_size\": 12,\n\"vocab_size\": oops\n}", "c.json"));
        Assert.Contains("c.json", e.Message);
        Assert.Contains("line 3", e.Message);
    }

    [Fact]
    public void Labels_come_from_id2label_and_activations_are_checked()
    {
        var config = BertConfig.FromJson("""{"hidden_act":"gelu_new","id2label":{"0":"O","1":"B-PER","2":"I-PER"},"label2id":{"O":0,"B-PER":1,"I-PER":2}}""");
        Assert.Equal(3, config.NumLabels);
        Assert.Equal("gelu_new", config.HiddenAct);
        Assert.Equal(2, new BertConfig().NumLabels);
        Assert.Throws<InvalidDataException>(() => BertConfig.FromJson("""{"hidden_act":"mystery"}"""));
        Assert.Throws<InvalidDataException>(() => BertConfig.FromJson("""{"model_type":"gpt2"}"""));
    }
}
