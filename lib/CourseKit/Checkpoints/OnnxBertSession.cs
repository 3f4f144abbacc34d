using CourseKit.Text;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace CourseKit.Checkpoints;

/// <summary>One output of a graph run: row-major values and their shape.</summary>
public sealed record OnnxOutput(float[] Values, int[] Shape);

/// <summary>
/// ONNX Runtime on a BERT graph with the three int64 inputs (input_ids, attention_mask, token_type_ids, [B, T] each),
/// as <see cref="OnnxExport"/> writes them and Hugging Face's exports have. Thread count fixed at creation
/// (intra-op; inter-op 1), all graph optimisations on (ORT fuses attention, LayerNorm, GELU and the int8 MatMuls).
/// </summary>
public sealed class OnnxBertSession : IDisposable
{
    readonly InferenceSession _session;
    readonly SessionOptions _options;

    /// <param name="threads">intra-op threads; 0 lets ONNX Runtime choose.</param>
    public OnnxBertSession(string onnxPath, int threads = 0)
    {
        _options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(onnxPath, _options);
        OutputNames = _session.OutputMetadata.Keys.ToList();
        InputNames = _session.InputMetadata.Keys.ToList();
        OutputRanks = _session.OutputMetadata.ToDictionary(kv => kv.Key, kv => kv.Value.Dimensions.Length);
        Metadata = _session.ModelMetadata.CustomMetadataMap;
    }

    public IReadOnlyList<string> InputNames { get; }
    public IReadOnlyList<string> OutputNames { get; }
    /// <summary>Each output's number of axes (logits: 2 for a sequence classifier, 3 for a token classifier).</summary>
    public IReadOnlyDictionary<string, int> OutputRanks { get; }
    /// <summary>The graph's metadata_props (an export's coursekit.head, coursekit.id2label, ...).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Runs a [<paramref name="batch"/>, <paramref name="length"/>] batch; token types default to zeros.</summary>
    public IReadOnlyDictionary<string, OnnxOutput> Run(long[] inputIds, long[] attentionMask, long[]? tokenTypeIds, int batch, int length)
    {
        if (inputIds.Length != batch * length || attentionMask.Length != batch * length || tokenTypeIds is not null && tokenTypeIds.Length != batch * length)
            throw new ArgumentException($"inputs must hold {batch}×{length} values each");
        int[] dims = [batch, length];
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(inputIds, dims)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(attentionMask, dims)),
        };
        if (InputNames.Contains("token_type_ids"))
            inputs.Add(NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(tokenTypeIds ?? new long[batch * length], dims)));
        using var results = _session.Run(inputs);
        return results.ToDictionary(r => r.Name, r =>
        {
            var t = r.AsTensor<float>();
            return new OnnxOutput(t.ToArray(), t.Dimensions.ToArray());
        });
    }

    /// <summary>Runs an already padded batch (its ids, attention mask and token types).</summary>
    public IReadOnlyDictionary<string, OnnxOutput> Run(TokenizedBatch batch)
    {
        var (ids, mask, types, count, length) = Flatten(batch);
        return Run(ids, mask, types, count, length);
    }

    /// <summary>Tokenizes <paramref name="texts"/> (padded to the longest, truncated at <paramref name="maxLength"/>)
    /// and runs them as one batch.</summary>
    public IReadOnlyDictionary<string, OnnxOutput> Run(BertTextTokenizer tokenizer, IReadOnlyList<string> texts, int maxLength = 256)
    {
        var (ids, mask, types, batch, length) = Tokenize(tokenizer, texts, maxLength);
        return Run(ids, mask, types, batch, length);
    }

    /// <summary>The flat [B·T] input arrays of a text batch, as the kit's tokenizer pads it.</summary>
    public static (long[] Ids, long[] Mask, long[] Types, int Batch, int Length) Tokenize(BertTextTokenizer tokenizer, IReadOnlyList<string> texts, int maxLength = 256)
    {
        var encoded = tokenizer.EncodeBatch(texts, new EncodeOptions { Padding = PaddingStrategy.Longest, MaxLength = maxLength, Truncation = true });
        return Flatten(encoded);
    }

    static (long[] Ids, long[] Mask, long[] Types, int Batch, int Length) Flatten(TokenizedBatch encoded)
    {
        long[] Flat(Func<TokenizedText, IReadOnlyList<int>> pick) => encoded.Items.SelectMany(i => pick(i).Select(v => (long)v)).ToArray();
        return (Flat(i => i.InputIds), Flat(i => i.AttentionMask), Flat(i => i.TokenTypeIds), encoded.Count, encoded.SequenceLength);
    }

    public void Dispose()
    {
        _session.Dispose();
        _options.Dispose();
    }
}
