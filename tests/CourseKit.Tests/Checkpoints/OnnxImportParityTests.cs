using CourseKit.Checkpoints;
using CourseKit.Models;
using CourseKit.Tests.Models;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CourseKit.Tests.Checkpoints;

/// <summary>The packaged encoders, imported into the Hugging Face layout and run by the kit's BertModel, against ONNX
/// Runtime running the original graphs on the same padded batch of real sentences.</summary>
[Collection(TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public class OnnxImportParityTests(ImportedEncodersFixture imported, ITestOutputHelper log) : IClassFixture<ImportedEncodersFixture>
{
    const double Tolerance = 1e-4;

    [Theory]
    [InlineData("minilm")]
    [InlineData("arctic-xs")]
    public void Import_recovers_the_published_shape_within_the_time_budget(string name)
    {
        var result = imported.Results[name];
        var c = result.Config;
        log.WriteLine($"{name}: import {imported.WallSeconds[name]:0.00} s wall, {result.Parameters:N0} parameters, pooler {result.HasPooler}");
        // all-MiniLM-L6-v2 and snowflake-arctic-embed-xs: 6 layers, hidden 384, 12 heads, FFN 1536, uncased WordPiece 30,522.
        Assert.Equal((6, 384, 12, 1536, 30522, 512, 2), (c.NumHiddenLayers, c.HiddenSize, c.NumAttentionHeads, c.IntermediateSize, c.VocabSize, c.MaxPositionEmbeddings, c.TypeVocabSize));
        Assert.Equal(1e-12, c.LayerNormEps);
        Assert.Equal("gelu", c.HiddenAct);
        long H = 384, I = 1536, embeddings = (30522 + 512 + 2) * H + 2 * H, layer = 4 * (H * H + H) + 2 * H + (H * I + I) + (I * H + H) + 2 * H;
        Assert.Equal(embeddings + 6 * layer + (result.HasPooler ? H * H + H : 0), result.Parameters);
        Assert.Equal(name == "minilm", result.HasPooler);   // the arctic export dropped the pooler
        Assert.True(imported.WallSeconds[name] < 30, $"import took {imported.WallSeconds[name]:0.0} s");
        Assert.True(KnownEncoders.IsImported(result.Directory));
        var card = ModelCard.ReadFields(Path.Combine(result.Directory, OnnxImport.ModelCardFile));
        Assert.Equal("apache-2.0", card["license"]);
        Assert.Contains(KnownEncoders.Get(name).PackageId, card["source"]);
        Assert.True(Pretrained.LoadTokenizer(result.Directory).LowerCase);
    }

    [Theory]
    [InlineData("minilm")]
    [InlineData("arctic-xs")]
    public void Last_hidden_state_and_pooler_match_onnx_runtime(string name)
    {
        var dir = imported.Folder(name);
        var tokenizer = Pretrained.LoadTokenizer(dir);
        var (ids, mask, types, b, t) = PackagedEncoders.Batch(tokenizer, PackagedEncoders.Sentences);
        Assert.Contains(0L, mask);                                        // the batch really is padded
        var (ortHidden, ortPooler) = PackagedEncoders.RunOriginal(name, ids, mask, types, b, t);

        using var model = BertModel.FromPretrained(dir, addPoolingLayer: imported.Results[name].HasPooler);
        model.eval();
        float[] hidden;
        float[]? pooler;
        using (no_grad())
        using (var scope = NewDisposeScope())
        {
            var output = model.forward(tensor(ids).reshape(b, t), tensor(mask).reshape(b, t), tensor(types).reshape(b, t));
            hidden = ModelTestData.Floats(output.LastHiddenState);
            pooler = output.PoolerOutput is { } p ? ModelTestData.Floats(p) : null;
        }

        double hiddenDelta = PackagedEncoders.MaxAbsDiff(ortHidden, hidden);
        double realDelta = Enumerable.Range(0, ortHidden.Length).Where(i => mask[i / 384] == 1).Max(i => Math.Abs((double)ortHidden[i] - hidden[i]));
        log.WriteLine($"{name}: last_hidden_state [{b}, {t}, 384] max |Δ| vs ONNX Runtime = {hiddenDelta:E2} " +
                      $"(real tokens {realDelta:E2}; largest |value| {ortHidden.Max(Math.Abs):0.00})");
        Assert.True(hiddenDelta <= Tolerance, $"last_hidden_state max |Δ| {hiddenDelta:E2}");
        Assert.Equal(ortPooler is null, pooler is null);
        if (ortPooler is not null)
        {
            double poolerDelta = PackagedEncoders.MaxAbsDiff(ortPooler, pooler!);
            log.WriteLine($"{name}: pooler_output max |Δ| vs ONNX Runtime = {poolerDelta:E2}");
            Assert.True(poolerDelta <= Tolerance, $"pooler max |Δ| {poolerDelta:E2}");
        }
    }

    [Fact]
    public void EnsureImported_keeps_a_finished_folder_and_imports_a_missing_one()
    {
        var existing = imported.Folder("minilm");
        var weights = Path.Combine(existing, Pretrained.WeightsFile);
        var written = File.GetLastWriteTimeUtc(weights);
        Assert.Equal(existing, KnownEncoders.EnsureImported("minilm", existing));
        Assert.Equal(written, File.GetLastWriteTimeUtc(weights));

        var fresh = Path.Combine(imported.Root, "ensured", "arctic");
        Assert.False(KnownEncoders.IsImported(fresh));
        Assert.Equal(Path.GetFullPath(fresh), KnownEncoders.EnsureImported("snowflake-arctic-embed-xs", fresh));
        Assert.True(KnownEncoders.IsImported(fresh));
        Assert.Equal(File.ReadAllBytes(Path.Combine(imported.Folder("arctic-xs"), Pretrained.WeightsFile)), File.ReadAllBytes(Path.Combine(fresh, Pretrained.WeightsFile)));
    }
}
