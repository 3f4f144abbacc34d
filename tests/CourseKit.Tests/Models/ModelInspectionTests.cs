using System.Text.Json;
using CourseKit.Models;
using CourseKit.Native;
using TorchSharp;

namespace CourseKit.Tests.Models;

/// <summary><see cref="ModelInspection"/> on tiny random checkpoints written to a temp folder; counts are worked
/// out from the architectures' structure, not asked of the model.</summary>
[Collection(TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public class ModelInspectionTests
{
    readonly string _tmp = TestPaths.NewTempDir("coursekit-inspection");

    public ModelInspectionTests() => TorchRuntime.Initialize();

    static long BertParameters(BertConfig c, bool pooler)
    {
        long V = c.VocabSize, H = c.HiddenSize, P = c.MaxPositionEmbeddings, S = c.TypeVocabSize, I = c.IntermediateSize, L = c.NumHiddenLayers;
        long embeddings = (V + P + S) * H + 2 * H;                                   // three tables + LayerNorm
        long layer = 4 * (H * H + H) + 2 * H + (H * I + I) + (I * H + H) + 2 * H;   // Q, K, V, O; LN; FFN in, out; LN
        return embeddings + L * layer + (pooler ? H * H + H : 0);
    }

    [Fact]
    public void Inspect_a_random_bert_folder_gives_type_heads_and_closed_form_counts()
    {
        var config = ModelTestData.TinyBert(layers: 3);
        torch.manual_seed(11);
        using (var model = new BertModel(config)) model.SavePretrained(_tmp);

        var info = ModelInspection.Inspect(_tmp);

        long expected = BertParameters(config, pooler: true);
        Assert.Equal("bert", info.Folder.ModelType);
        Assert.Equal(nameof(BertModel), info.LoadedAs);
        Assert.Equal(expected, info.TotalParameters);
        Assert.Equal(expected, info.TrainableParameters);
        Assert.Equal(expected, info.Weights.Values);                                  // every saved tensor is a parameter
        Assert.Equal(5 + 16 * config.NumHiddenLayers + 2, info.Weights.Tensors);
        Assert.Equal(4L * expected, info.Weights.DataBytes);                           // F32
        Assert.Equal(expected, info.ByModuleDepth1.Columns["parameters"].Cast<long>().Sum());
        Assert.True(info.Report.IsComplete, info.Report.ToString());
        Assert.True(info.Heads["pooler"]);
        Assert.False(info.Heads["mlm"] || info.Heads["nsp"] || info.Heads["classifier"] || info.Heads["qa_outputs"]);

        var json = JsonDocument.Parse(info.ToJson()).RootElement;
        Assert.Equal(expected, json.GetProperty("parameters").GetProperty("total").GetInt64());
        Assert.Equal(config.HiddenSize, json.GetProperty("config").GetProperty("hidden_size").GetInt32());
        Assert.Contains("present: pooler; absent: MLM", info.ToText());
    }

    [Fact]
    public void Inspect_a_masked_lm_folder_finds_the_head_and_misses_the_pooler()
    {
        var config = ModelTestData.TinyBert();
        torch.manual_seed(12);
        using (var mlm = new BertForMaskedLM(config)) mlm.SavePretrained(_tmp);

        var info = ModelInspection.Inspect(_tmp);

        Assert.True(info.Heads["mlm"]);
        Assert.False(info.Heads["pooler"]);
        Assert.Equal(new[] { "pooler.dense.bias", "pooler.dense.weight" }, info.Report.Missing.Order());
        Assert.Equal(BertParameters(config, pooler: true), info.TotalParameters);      // the BertModel built, pooler included
    }

    [Fact]
    public void Inspect_a_gpt2_folder_counts_the_tied_head_once()
    {
        var c = ModelTestData.TinyGpt();
        torch.manual_seed(13);
        using (var gpt = new GptModel(c)) gpt.SavePretrained(_tmp);

        var info = ModelInspection.Inspect(_tmp);

        long C = c.NEmbd;
        long block = 2 * 2 * C + (C * 3 * C + 3 * C) + (C * C + C) + (C * 4 * C + 4 * C) + (4 * C * C + C);
        Assert.Equal("gpt2", info.Folder.ModelType);
        Assert.Equal(nameof(GptModel), info.LoadedAs);
        Assert.Equal(c.VocabSize * C + c.NPositions * C + c.NLayer * block + 2 * C, info.TotalParameters);
        Assert.True(info.Heads["lm_head"]);
    }

    [Fact]
    public void Encode_gives_the_models_own_hidden_states_and_checks_ids()
    {
        var config = ModelTestData.TinyBert();
        torch.manual_seed(14);
        float[] want;
        var ids = new long[] { 2, 17, 33, 5, 3 };
        using (var model = new BertModel(config))
        {
            model.SavePretrained(_tmp);
            model.eval();
            using var noGrad = torch.no_grad();
            want = ModelTestData.Floats(model.forward(torch.tensor(ids).unsqueeze(0)).LastHiddenState[0]);
        }

        var encoding = ModelInspection.Encode(_tmp, ids);

        Assert.Equal(new[] { ids.Length, config.HiddenSize }, new[] { encoding.LastHiddenState.GetLength(0), encoding.LastHiddenState.GetLength(1) });
        Assert.Equal(want, encoding.LastHiddenState.Cast<float>());
        Assert.Equal(config.HiddenSize, encoding.PoolerOutput!.Length);
        Assert.Null(encoding.Tokens);                                                  // no vocab.txt in the folder
        Assert.Equal(ids.Length, JsonDocument.Parse(encoding.ToJson()).RootElement.GetProperty("last_hidden_state").GetArrayLength());

        var outside = Assert.Throws<ArgumentException>(() => ModelInspection.Encode(_tmp, [1, config.VocabSize]));
        Assert.Equal("inputIds", outside.ParamName);
        Assert.Contains($"vocab_size {config.VocabSize}", outside.Message);
        var segments = Assert.Throws<ArgumentException>(() => ModelInspection.Encode(_tmp, [1, 2], [0]));
        Assert.Equal("tokenTypeIds", segments.ParamName);
    }
}
