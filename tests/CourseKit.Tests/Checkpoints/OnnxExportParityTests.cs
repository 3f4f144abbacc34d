using CourseKit.Checkpoints;
using CourseKit.Models;
using TorchSharp;
using static TorchSharp.torch;
using static CourseKit.Tests.Checkpoints.OnnxExportFixture;

namespace CourseKit.Tests.Checkpoints;

/// <summary>ONNX Runtime on each exported head against the kit on the same folder (padded batch, ≤ 1e-4), and the
/// float32 exports read back by the importer to the very same tensors.</summary>
[Collection(Models.TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public sealed class OnnxExportParityTests(OnnxExportFixture fixture) : IClassFixture<OnnxExportFixture>
{
    const double Tolerance = 1e-4;

    IReadOnlyDictionary<string, OnnxOutput> RunOnnx(string head)
    {
        var (ids, mask, types, b, t) = PaddedBatch();
        using var session = new OnnxBertSession(fixture.Exports[head].Path, threads: 1);
        return session.Run(ids, mask, types, b, t);
    }

    static (Tensor Ids, Tensor Mask, Tensor Types) KitBatch()
    {
        var (ids, mask, types, b, t) = PaddedBatch();
        return (AsTensor(ids, b, t), AsTensor(mask, b, t), AsTensor(types, b, t));
    }

    [Fact]
    public void Encoder_matches_the_kit_on_a_padded_batch()
    {
        var onnx = RunOnnx("encoder");
        using var scope = NewDisposeScope();
        using var model = BertModel.FromPretrained(fixture.Folder("encoder"));
        model.eval();
        var (ids, mask, types) = KitBatch();
        using var _ = no_grad();
        var kit = model.forward(ids, mask, types);
        Assert.Equal([3, 9, 32], onnx["last_hidden_state"].Shape);
        Assert.InRange(MaxAbsDiff(onnx["last_hidden_state"].Values, kit.LastHiddenState), 0, Tolerance);
        Assert.InRange(MaxAbsDiff(onnx["pooler_output"].Values, kit.PoolerOutput!), 0, Tolerance);
    }

    [Fact]
    public void Sequence_classification_logits_match_the_kit()
    {
        var onnx = RunOnnx("sequence-classification");
        using var scope = NewDisposeScope();
        using var model = BertForSequenceClassification.FromPretrained(fixture.Folder("sequence-classification"));
        model.eval();
        var (ids, mask, types) = KitBatch();
        using var _ = no_grad();
        Assert.Equal([3, SentimentLabels.Length], onnx["logits"].Shape);
        Assert.InRange(MaxAbsDiff(onnx["logits"].Values, model.forward(ids, mask, types, null).Logits), 0, Tolerance);
    }

    [Fact]
    public void Token_classification_logits_match_the_kit()
    {
        var onnx = RunOnnx("token-classification");
        using var scope = NewDisposeScope();
        using var model = BertForTokenClassification.FromPretrained(fixture.Folder("token-classification"));
        model.eval();
        var (ids, mask, types) = KitBatch();
        using var _ = no_grad();
        Assert.Equal([3, 9, TagLabels.Length], onnx["logits"].Shape);
        Assert.InRange(MaxAbsDiff(onnx["logits"].Values, model.forward(ids, mask, types, null).Logits), 0, Tolerance);
    }

    [Fact]
    public void Question_answering_start_and_end_logits_match_the_kit()
    {
        var onnx = RunOnnx("question-answering");
        using var scope = NewDisposeScope();
        using var model = BertForQuestionAnswering.FromPretrained(fixture.Folder("question-answering"));
        model.eval();
        var (ids, mask, types) = KitBatch();
        using var _ = no_grad();
        var kit = model.forward(ids, mask, types, null);
        Assert.Equal([3, 9], onnx["start_logits"].Shape);
        Assert.InRange(MaxAbsDiff(onnx["start_logits"].Values, kit.StartLogits), 0, Tolerance);
        Assert.InRange(MaxAbsDiff(onnx["end_logits"].Values, kit.EndLogits), 0, Tolerance);
    }

    [Fact]
    public void Embedding_is_the_kits_mean_pooled_unit_vector()
    {
        var onnx = RunOnnx("embedding");
        using var scope = NewDisposeScope();
        using var model = BertModel.FromPretrained(fixture.Folder("encoder"));
        model.eval();
        var (ids, mask, types) = KitBatch();
        using var _ = no_grad();
        var kit = SentenceEncoder.Normalize(SentenceEncoder.Pool(model.forward(ids, mask, types).LastHiddenState, mask, SentencePooling.Mean));
        Assert.Equal([3, 32], onnx["sentence_embedding"].Shape);
        Assert.InRange(MaxAbsDiff(onnx["sentence_embedding"].Values, kit), 0, Tolerance);
    }

    [Theory]
    [InlineData("encoder", "encoder")]
    [InlineData("sequence-classification", "sequence-classification")]
    [InlineData("token-classification", "token-classification")]
    [InlineData("question-answering", "question-answering")]
    public void The_importer_reads_every_exported_tensor_back_exactly(string head, string folder)
    {
        var graph = new OnnxGraphIndex(OnnxGraphIndex.ParseModel(File.ReadAllBytes(fixture.Exports[head].Path), head), head);
        var (config, weights) = OnnxBertReader.Read(graph);
        using var scope = NewDisposeScope();
        var saved = SafeTensorsFile.Load(Path.Combine(fixture.Folder(folder), Pretrained.WeightsFile))
            .ToDictionary(kv => kv.Key.StartsWith("bert.") ? kv.Key[5..] : kv.Key, kv => kv.Value);
        var original = BertConfig.Load(Path.Combine(fixture.Folder(folder), Pretrained.ConfigFile));
        Assert.Equal((original.NumAttentionHeads, original.NumHiddenLayers, original.IntermediateSize, original.LayerNormEps),
                     (config.NumAttentionHeads, config.NumHiddenLayers, config.IntermediateSize, config.LayerNormEps));
        foreach (var w in weights)
        {
            Assert.True(saved.ContainsKey(w.Name), $"{w.Name} is not in the folder");
            Assert.Equal(saved[w.Name].shape, w.Shape);
            Assert.Equal(saved[w.Name].contiguous().data<float>().ToArray(), w.Values);   // bit for bit
        }
        var exported = saved.Keys.Where(k => k != "embeddings.position_ids").ToHashSet();
        Assert.Equal(exported.OrderBy(k => k, StringComparer.Ordinal), weights.Select(w => w.Name).OrderBy(k => k, StringComparer.Ordinal));
    }

    [Fact]
    public void The_encoder_export_imports_into_a_folder_with_the_same_safetensors()
    {
        var target = Path.Combine(fixture.Root, "reimported");
        OnnxImport.ImportBert(fixture.Exports["encoder"].Path, fixture.VocabPath, target);
        using var scope = NewDisposeScope();
        var before = SafeTensorsFile.Load(Path.Combine(fixture.Folder("encoder"), Pretrained.WeightsFile));
        var after = SafeTensorsFile.Load(Path.Combine(target, Pretrained.WeightsFile));
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (name, t) in before) Assert.True(t.shape.SequenceEqual(after[name].shape) && t.eq(after[name]).all().item<bool>(), $"{name} changed in the round trip");
    }

    [Fact]
    public void A_head_the_folder_lacks_is_refused_naming_the_tensor()
    {
        var e = Assert.Throws<InvalidDataException>(() => OnnxExport.ExportFolder(fixture.Folder("encoder"), Path.Combine(fixture.Root, "x.onnx"),
            new OnnxExportOptions { Head = OnnxExportHead.QuestionAnswering }));
        Assert.Contains("qa_outputs.weight", e.Message);
        Assert.False(File.Exists(Path.Combine(fixture.Root, "x.onnx")));
    }
}
