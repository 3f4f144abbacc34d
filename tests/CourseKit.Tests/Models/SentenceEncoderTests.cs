using CourseKit.Models;
using CourseKit.Tests.Checkpoints;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CourseKit.Tests.Models;

/// <summary>SentenceEncoder on the imported packaged encoders against sentence-transformers' pooling computed here
/// from ONNX Runtime's last_hidden_state of the original graphs.</summary>
[Collection(TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public class SentenceEncoderTests(ImportedEncodersFixture imported, ITestOutputHelper log) : IClassFixture<ImportedEncodersFixture>
{
    const double Tolerance = 1e-4;

    /// <summary>Reference pooling written out loop by loop: masked mean (or [CLS]) then division by the L2 norm.</summary>
    internal static float[] ReferenceEmbeddings(float[] hidden, long[] mask, int b, int t, int h, SentencePooling pooling)
    {
        var result = new float[b * h];
        for (int i = 0; i < b; i++)
        {
            var v = new double[h];
            double count = 0;
            for (int j = 0; j < t; j++)
            {
                if (pooling == SentencePooling.Cls ? j != 0 : mask[i * t + j] == 0) continue;
                count++;
                for (int k = 0; k < h; k++) v[k] += hidden[(i * t + j) * h + k];
            }
            double norm = Math.Sqrt(v.Sum(x => (x / count) * (x / count)));
            for (int k = 0; k < h; k++) result[i * h + k] = (float)(v[k] / count / norm);
        }
        return result;
    }

    [Theory]
    [InlineData("minilm", SentencePooling.Mean)]
    [InlineData("arctic-xs", SentencePooling.Mean)]
    [InlineData("arctic-xs", SentencePooling.Cls)]
    public void Embeddings_match_pooled_onnx_runtime_output(string name, SentencePooling pooling)
    {
        var dir = imported.Folder(name);
        using var encoder = SentenceEncoder.Load(dir, pooling);
        var (ids, mask, types, b, t) = PackagedEncoders.Batch(encoder.Tokenizer, PackagedEncoders.Sentences);
        var (ortHidden, _) = PackagedEncoders.RunOriginal(name, ids, mask, types, b, t);
        var expected = ReferenceEmbeddings(ortHidden, mask, b, t, encoder.Dimension, pooling);

        using var embeddings = encoder.Encode(PackagedEncoders.Sentences, batchSize: 4);   // two batches, padded differently
        Assert.Equal(new long[] { b, encoder.Dimension }, embeddings.shape);
        double delta = PackagedEncoders.MaxAbsDiff(expected, embeddings.data<float>().ToArray());
        log.WriteLine($"{name} ({pooling}): sentence embeddings max |Δ| vs pooled ONNX Runtime = {delta:E2}");
        Assert.True(delta <= Tolerance, $"max |Δ| {delta:E2}");
    }

    [Fact]
    public void Batches_are_formed_by_length_and_rows_come_back_in_input_order()
    {
        using var encoder = SentenceEncoder.Load(imported.Folder("minilm"));
        string[] texts = ["Operating profit rose to EUR 13.1 mn from EUR 8.7 mn in the corresponding period in 2007, the company said on Tuesday.",
            "Sales fell.", "The Finnish group will cut 30 jobs at its plant.", "Profit up.", "Shares in the bank were unchanged at midday in Helsinki trading."];
        using var together = encoder.Encode(texts, batchSize: 2);
        for (int i = 0; i < texts.Length; i++)
        {
            var alone = encoder.Encode(texts[i]);
            var row = together[i].data<float>().ToArray();
            Assert.True(alone.Zip(row, (x, y) => Math.Abs(x - y)).Max() < 1e-5, $"row {i} is not the embedding of text {i}");
        }
    }

    [Fact]
    public void Imported_folders_carry_the_models_own_pooling()
    {
        using var minilm = SentenceEncoder.Load(imported.Folder("minilm"));
        using var arctic = SentenceEncoder.Load(imported.Folder("arctic-xs"));
        Assert.Equal((SentencePooling.Mean, 256), (minilm.Pooling, minilm.MaxLength));
        Assert.Equal((SentencePooling.Cls, 512), (arctic.Pooling, arctic.MaxLength));
        Assert.Equal(("", "Represent this sentence for searching relevant passages: "), (minilm.QueryPrompt, arctic.QueryPrompt));
    }

    [Fact]
    public void Queries_are_encoded_after_the_models_query_prompt_and_documents_without_it()
    {
        using var arctic = SentenceEncoder.Load(imported.Folder("arctic-xs"));
        string[] queries = ["who founded the company?", "when did profits fall"];
        using var asQueries = arctic.EncodeQueries(queries);
        using var prompted = arctic.Encode(queries.Select(q => arctic.QueryPrompt + q).ToArray());
        using var plain = arctic.Encode(queries);
        Assert.True(asQueries.sub(prompted).abs().max().item<float>() < 1e-6, "EncodeQueries is not Encode(prompt + text)");
        Assert.True(asQueries.sub(plain).abs().max().item<float>() > 1e-2, "the query prompt changed nothing");

        using var minilm = SentenceEncoder.Load(imported.Folder("minilm"));      // no prompt: queries encode as they are
        using var q = minilm.EncodeQueries(queries);
        using var d = minilm.Encode(queries);
        Assert.True(q.sub(d).abs().max().item<float>() < 1e-6);
    }

    [Fact]
    public void Embeddings_are_unit_length_and_a_paraphrase_is_the_nearest_neighbour()
    {
        using var encoder = SentenceEncoder.Load(imported.Folder("minilm"));
        string[] corpus = ["The stock market fell sharply today.", "Someone is playing an acoustic guitar.", "A cat sleeps on the sofa.", "Rain is expected tomorrow."];
        using var matrix = encoder.Encode(corpus);
        using (var norms = matrix.norm(1))
            Assert.True(norms.sub(1).abs().max().item<float>() < 1e-5);
        using var query = tensor(encoder.Encode("A man plays the guitar."));
        var top = SentenceEncoder.TopK(query, matrix, 2);
        Assert.Equal(1, top[0].Index);
        Assert.True(top[0].Score > top[1].Score);
        using var sims = SentenceEncoder.CosineSimilarity(query.unsqueeze(0), matrix);
        Assert.Equal(top[0].Score, sims[0, 1].item<float>(), 5);
        var scalar = SentenceEncoder.CosineSimilarity(query.data<float>().ToArray(), matrix[1].data<float>().ToArray());
        Assert.Equal(top[0].Score, scalar, 4);
    }
}
