using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CourseKit.Cli.Verbs;
using CourseKit.Models;
using CourseKit.Native;
using CourseKit.Tests.Models;
using CourseKit.Text;
using TorchSharp;

namespace CourseKit.Tests.ModelCli;

/// <summary><c>course model info | encode</c>, invoked in-process. Building models draws from torch's global RNG,
/// hence the Models collection.</summary>
[Collection(TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public class ModelVerbTests
{
    static readonly string Fixture = TestPaths.InRepo("tests", "fixtures", "bert-parity");
    static readonly string CasedVocab = TestPaths.InRepo("datasets", "bert-vocab", "bert-base-cased-vocab.txt");
    readonly string _tmp = TestPaths.NewTempDir("coursekit-modelcli");

    public ModelVerbTests() => TorchRuntime.Initialize();

    static (int Code, string Output, string Error) RunCli(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = ModelVerb.Create().Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    static JsonElement ReadJson(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    static long[][] Rows(JsonElement e) => e.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();

    [Fact]
    public void Info_prints_the_closed_form_parameter_count_of_the_fixture()
    {
        // Sizes read from config.json here; the count is worked out from BERT's structure, not asked of the model.
        var c = ReadJson(Path.Combine(Fixture, "config.json"));
        long V = c.GetProperty("vocab_size").GetInt64(), H = c.GetProperty("hidden_size").GetInt64(),
             P = c.GetProperty("max_position_embeddings").GetInt64(), S = c.GetProperty("type_vocab_size").GetInt64(),
             I = c.GetProperty("intermediate_size").GetInt64(), L = c.GetProperty("num_hidden_layers").GetInt64();
        long embeddings = (V + P + S) * H + 2 * H;                        // three tables + LayerNorm
        long layer = 4 * (H * H + H) + 2 * H + (H * I + I) + (I * H + H) + 2 * H;
        long pooler = H * H + H;
        long expected = embeddings + L * layer + pooler;

        var json = Path.Combine(_tmp, "info.json");
        var (code, output, error) = RunCli("info", Fixture, "--json", json);

        Assert.True(code == 0, error);
        Assert.Contains($"parameters     {N(expected)}", output);
        Assert.Matches($@"embeddings\s+{N(embeddings)}", output);
        Assert.Matches($@"encoder\.layer\s+{N(L * layer)}", output);
        Assert.Matches($@"pooler\.dense\s+{N(pooler)}", output);
        Assert.Contains("39 tensors (F32 x39)", output);             // 5 embedding + 16 per layer x 2 + 2 pooler
        Assert.Contains("Loaded 39 tensors.", output);
        Assert.Contains("present: pooler; absent: MLM", output);

        var summary = ReadJson(json);
        Assert.Equal(expected, summary.GetProperty("parameters").GetProperty("total").GetInt64());
        Assert.Equal(39, summary.GetProperty("safetensors").GetProperty("tensors").GetInt32());
        Assert.Equal(expected, summary.GetProperty("safetensors").GetProperty("values").GetInt64());
        Assert.Equal(0, summary.GetProperty("load_report").GetProperty("missing").GetArrayLength());
        Assert.False(summary.GetProperty("heads").GetProperty("mlm").GetBoolean());
        Assert.Equal("BertModel", summary.GetProperty("loaded_as").GetString());
    }

    [Fact]
    public void Info_on_a_masked_lm_checkpoint_reports_the_head_and_the_missing_pooler()
    {
        torch.manual_seed(3);
        using (var mlm = new BertForMaskedLM(ModelTestData.TinyBert())) mlm.SavePretrained(_tmp);
        var json = Path.Combine(_tmp, "info.json");
        var (code, output, error) = RunCli("info", _tmp, "--json", json);

        Assert.True(code == 0, error);
        Assert.Contains("present: MLM (cls.predictions)", output);
        var report = ReadJson(json).GetProperty("load_report");
        var missing = report.GetProperty("missing").EnumerateArray().Select(e => e.GetString()).ToList();
        var unexpected = report.GetProperty("unexpected").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal(new[] { "pooler.dense.bias", "pooler.dense.weight" }, missing.Order());
        Assert.Contains("cls.predictions.bias", unexpected);
        Assert.Contains("cls.predictions.transform.dense.weight", unexpected);
        Assert.True(ReadJson(json).GetProperty("heads").GetProperty("mlm").GetBoolean());
    }

    [Fact]
    public void Info_reads_a_gpt2_folder_as_GptModel()
    {
        var config = ModelTestData.TinyGpt();
        torch.manual_seed(4);
        using (var gpt = new GptModel(config)) gpt.SavePretrained(_tmp);
        long V = config.VocabSize, P = config.NPositions, C = config.NEmbd, L = config.NLayer;
        long block = 2 * 2 * C + (C * 3 * C + 3 * C) + (C * C + C) + (C * 4 * C + 4 * C) + (4 * C * C + C);
        long expected = V * C + P * C + L * block + 2 * C;              // lm_head tied to wte: counted once

        var json = Path.Combine(_tmp, "info.json");
        var (code, output, error) = RunCli("info", _tmp, "--json", json);
        Assert.True(code == 0, error);
        Assert.Contains("model_type gpt2", output);
        Assert.Equal("GptModel", ReadJson(json).GetProperty("loaded_as").GetString());
        Assert.Equal(expected, ReadJson(json).GetProperty("parameters").GetProperty("total").GetInt64());
    }

    public static TheoryData<int> ExpectedRows => new() { 0, 1, 2 };

    /// <summary>End-to-end parity through the CLI: each row of expected.json, without its padding, against PyTorch.
    /// Padding keys are masked in PyTorch's run, so the real tokens' states equal a run on the real tokens alone.</summary>
    [Theory]
    [MemberData(nameof(ExpectedRows))]
    public void Encode_ids_matches_pytorch_within_1e_4(int row)
    {
        var expected = ReadJson(Path.Combine(Fixture, "expected.json"));
        var mask = Rows(expected.GetProperty("attention_mask"))[row];
        int n = (int)mask.Sum();
        var ids = Rows(expected.GetProperty("input_ids"))[row][..n];
        var types = Rows(expected.GetProperty("token_type_ids"))[row][..n];
        var json = Path.Combine(_tmp, $"encode-{row}.json");

        var (code, output, error) = RunCli("encode", Fixture, "--ids", string.Join(",", ids), "--token-type-ids", string.Join(",", types), "--json", json);

        Assert.True(code == 0, error);
        Assert.Contains($"last_hidden_state [1, {n}, 32]", output);
        var got = ReadJson(json);
        Assert.Equal(ids, got.GetProperty("input_ids").EnumerateArray().Select(v => v.GetInt64()));
        var wantHidden = expected.GetProperty("last_hidden_state")[row];
        var gotHidden = got.GetProperty("last_hidden_state");
        Assert.Equal(n, gotHidden.GetArrayLength());
        double worst = 0;
        for (int t = 0; t < n; t++)
        {
            Assert.Equal(wantHidden[t].GetArrayLength(), gotHidden[t].GetArrayLength());
            for (int h = 0; h < gotHidden[t].GetArrayLength(); h++)
                worst = Math.Max(worst, Math.Abs(wantHidden[t][h].GetDouble() - gotHidden[t][h].GetDouble()));
        }
        Assert.True(worst < 1e-4, $"last_hidden_state differs from PyTorch by {worst}");
        var wantPooled = expected.GetProperty("pooler_output")[row].EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var gotPooled = got.GetProperty("pooler_output").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Equal(wantPooled.Length, gotPooled.Length);
        Assert.All(wantPooled.Zip(gotPooled), p => Assert.True(Math.Abs(p.First - p.Second) < 1e-4, $"pooler {p.First} vs {p.Second}"));
    }

    [Fact]
    public void Encode_text_uses_the_folders_vocab_and_casing()
    {
        var config = new BertConfig { VocabSize = 28996, HiddenSize = 16, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 32, MaxPositionEmbeddings = 32 };
        torch.manual_seed(5);
        using (var model = new BertModel(config)) model.SavePretrained(_tmp, BertTextTokenizer.Cased(CasedVocab));
        var json = Path.Combine(_tmp, "text.json");

        var (code, output, error) = RunCli("encode", _tmp, "--text", "Hello world", "--json", json);

        Assert.True(code == 0, error);
        var vocab = File.ReadAllLines(CasedVocab).ToList();
        var want = new[] { "[CLS]", "Hello", "world", "[SEP]" };
        var got = ReadJson(json);
        Assert.Equal(want, got.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(want.Select(t => (long)vocab.IndexOf(t)), got.GetProperty("input_ids").EnumerateArray().Select(v => v.GetInt64()));
        Assert.Equal(4, got.GetProperty("last_hidden_state").GetArrayLength());
        Assert.Equal(16, got.GetProperty("last_hidden_state")[0].GetArrayLength());
        Assert.Contains("last_hidden_state [1, 4, 16]", output);
        Assert.Contains("tokens         [[CLS], Hello, world, [SEP]]", output);
    }

    static void AssertOneLineError((int Code, string Output, string Error) r, params string[] mentions)
    {
        Assert.NotEqual(0, r.Code);
        Assert.StartsWith("error: ", r.Error);
        Assert.Single(r.Error.TrimEnd().Split('\n'));
        foreach (var m in mentions) Assert.Contains(m, r.Error);
    }

    [Fact]
    public void Missing_folder_or_config_is_a_clear_error()
    {
        var nowhere = Path.Combine(_tmp, "no-such-model");
        AssertOneLineError(RunCli("info", nowhere), nowhere);
        AssertOneLineError(RunCli("encode", nowhere, "--ids", "1,2"), nowhere);
        var empty = Directory.CreateDirectory(Path.Combine(_tmp, "empty")).FullName;
        AssertOneLineError(RunCli("info", empty), Path.Combine(empty, "config.json"));
    }

    [Fact]
    public void Missing_or_truncated_safetensors_names_the_file()
    {
        var dir = Directory.CreateDirectory(Path.Combine(_tmp, "broken")).FullName;
        File.Copy(Path.Combine(Fixture, "config.json"), Path.Combine(dir, "config.json"));
        var weights = Path.Combine(dir, "model.safetensors");
        AssertOneLineError(RunCli("info", dir), weights, "missing");

        var bytes = File.ReadAllBytes(Path.Combine(Fixture, "model.safetensors"));
        File.WriteAllBytes(weights, bytes[..(bytes.Length / 2)]);
        AssertOneLineError(RunCli("info", dir), weights);
        AssertOneLineError(RunCli("encode", dir, "--ids", "1,2,3"), weights);
    }

    [Fact]
    public void Bad_ids_and_missing_vocab_are_clear_errors()
    {
        AssertOneLineError(RunCli("encode", Fixture, "--ids", "101,x,102"), "--ids", "'x'");
        AssertOneLineError(RunCli("encode", Fixture, "--ids", "1,-4"), "'-4'");
        AssertOneLineError(RunCli("encode", Fixture, "--ids", "1,100"), "id 100", "vocab_size 100", Path.Combine(Fixture, "config.json"));
        AssertOneLineError(RunCli("encode", Fixture, "--ids", string.Join(",", Enumerable.Repeat(1, 65))), "max_position_embeddings 64");
        AssertOneLineError(RunCli("encode", Fixture, "--ids", "1,2", "--token-type-ids", "0"), "--token-type-ids");
        AssertOneLineError(RunCli("encode", Fixture, "--text", "hello"), Path.Combine(Fixture, "vocab.txt"), "--ids");
        AssertOneLineError(RunCli("encode", Fixture), "--text", "--ids");
    }

    static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
}
