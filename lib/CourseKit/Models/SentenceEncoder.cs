using System.Text.Json;
using System.Text.Json.Nodes;
using CourseKit.Checkpoints;
using CourseKit.Reporting;
using CourseKit.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Models;

/// <summary>How token states become one sentence vector: the mean over real tokens (all-MiniLM-L6-v2) or the [CLS]
/// state (snowflake-arctic-embed).</summary>
public enum SentencePooling { Mean, Cls }

/// <summary>
/// Sentence embeddings as sentence-transformers computes them: BERT's last hidden states pooled over the attention
/// mask (padding never counts), then L2-normalised, so a dot product is the cosine similarity. Also cosine
/// similarity and top-k search over an embedding matrix.
/// </summary>
public sealed class SentenceEncoder : IDisposable
{
    /// <summary>sentence-transformers' files: the pooling module's config and the encoder's maximum sequence length.</summary>
    public const string PoolingConfigFile = "1_Pooling/config.json", SentenceConfigFile = "sentence_bert_config.json";

    public SentenceEncoder(BertModel model, BertTextTokenizer tokenizer, SentencePooling pooling = SentencePooling.Mean, int? maxLength = null,
        IReadOnlyDictionary<string, string>? prompts = null)
    {
        Model = model;
        Tokenizer = tokenizer;
        Pooling = pooling;
        Prompts = prompts ?? new Dictionary<string, string>();
        MaxLength = Math.Min(maxLength ?? int.MaxValue, model.Config.MaxPositionEmbeddings);   // never past the position table
        _encodeOptions = new EncodeOptions { MaxLength = MaxLength, Truncation = true, Padding = PaddingStrategy.None };
        Model.eval();
    }

    readonly EncodeOptions _encodeOptions;

    public BertModel Model { get; }
    public BertTextTokenizer Tokenizer { get; }
    public SentencePooling Pooling { get; }
    /// <summary>Longer texts are truncated to this many tokens, [CLS] and [SEP] included.</summary>
    public int MaxLength { get; }
    public int Dimension => Model.Config.HiddenSize;
    /// <summary>sentence-transformers' prompts of the model (<see cref="SentencePrompts"/>); empty for most models.</summary>
    public IReadOnlyDictionary<string, string> Prompts { get; }
    /// <summary>The text put in front of a search query ("" when the model has no query prompt).</summary>
    public string QueryPrompt => Prompts.GetValueOrDefault(SentencePrompts.Query, "");

    /// <summary>Loads a model folder; pooling, length and prompts from its sentence-transformers files when present
    /// (else mean, the model's maximum, none).</summary>
    public static SentenceEncoder Load(string dir, SentencePooling? pooling = null, int? maxLength = null)
    {
        var (savedPooling, savedLength) = ReadSentenceConfig(dir);
        var prompts = SentencePrompts.Read(dir);
        var model = BertModel.FromPretrained(dir, addPoolingLayer: HasPooler(dir));
        return new SentenceEncoder(model, Pretrained.LoadTokenizer(dir), pooling ?? savedPooling ?? SentencePooling.Mean, maxLength ?? savedLength, prompts);
    }

    static bool HasPooler(string dir)
    {
        using var file = SafeTensorsFile.Open(Path.Combine(dir, Pretrained.WeightsFile));
        return file.Names.Any(n => n.StartsWith("pooler.", StringComparison.Ordinal));
    }

    /// <summary>Unit-length embeddings [N, H] (float32, CPU) of <paramref name="texts"/>, in their order; the caller owns
    /// the tensor. Texts are batched by token count (shortest first), so a batch pads to little more than its own
    /// length: on short news sentences of mixed length that is most of the padding a batch in input order carries.</summary>
    public Tensor Encode(IReadOnlyList<string> texts, int batchSize = 32)
    {
        var rows = EncodeRows(texts, batchSize);
        return tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, Dimension]);
    }

    /// <summary><see cref="Encode(IReadOnlyList{string}, int)"/> as one float array per text, for callers that want
    /// rows (no tensor is built and read back).</summary>
    public float[][] EncodeRows(IReadOnlyList<string> texts, int batchSize = 32)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be positive");
        var encoded = texts.Select(Tokenize).ToArray();                                          // tokenised once
        using var progress = Reporter.StartProgress($"Encoding {texts.Count} sentences", texts.Count);
        int done = 0;
        using (no_grad())
            return LengthBatches.Map(encoded, t => t.Length, batchSize, batch =>
            {
                var embeddings = EncodeTokenized(batch).to_type(ScalarType.Float32).cpu();
                progress.Report(done += batch.Count);
                return LengthBatches.Rows(embeddings.data<float>().ToArray(), batch.Count, Dimension);
            });
    }

    /// <summary>Search queries' embeddings: <see cref="Encode(IReadOnlyList{string}, int)"/> of each text after the
    /// model's <see cref="QueryPrompt"/> (sentence-transformers' <c>encode_query</c>); documents are encoded plain.</summary>
    public Tensor EncodeQueries(IReadOnlyList<string> queries, int batchSize = 32) =>
        Encode(QueryPrompt.Length == 0 ? queries : queries.Select(q => QueryPrompt + q).ToArray(), batchSize);

    /// <summary>A text's WordPiece ids as the encoder reads it: [CLS] … [SEP], cut at <see cref="MaxLength"/>.</summary>
    public TokenizedText Tokenize(string text) => Tokenizer.Encode(text, _encodeOptions);

    /// <summary>One forward over texts already tokenised (<see cref="Tokenize"/>), padded to the longest: their
    /// unit-length embeddings [B, H] on the model's device, in the given order. No progress display and no gradient
    /// bookkeeping of its own: the caller holds the dispose scope and no_grad (a service batches with this).</summary>
    public Tensor EncodeTokenized(IReadOnlyList<TokenizedText> batch)
    {
        var inputs = TokenizedBatch.Pad(batch, Tokenizer.PadId, Tokenizer.PadToken).ToTensors(Model.embeddings.word_embeddings.weight!.device);
        var output = Model.forward(inputs.InputIds, inputs.AttentionMask, inputs.TokenTypeIds);
        return Normalize(Pool(output.LastHiddenState, inputs.AttentionMask, Pooling));
    }

    /// <summary>The training forward of <see cref="Encode(IReadOnlyList{string}, int)"/>: unit-length embeddings [B, H] of
    /// <paramref name="texts"/> padded to the longest, in order, cut at <paramref name="maxLength"/> (at most
    /// <see cref="MaxLength"/>), with gradients when the caller trains (contrastive fine-tuning: SetFit, retrievers).</summary>
    public Tensor Embed(IReadOnlyList<string> texts, int? maxLength = null)
    {
        var options = new EncodeOptions { MaxLength = Math.Min(maxLength ?? MaxLength, MaxLength), Truncation = true, Padding = PaddingStrategy.Longest };
        var inputs = Tokenizer.EncodeBatch(texts, options).ToTensors(Model.embeddings.word_embeddings.weight!.device);
        var output = Model.forward(inputs.InputIds, inputs.AttentionMask, inputs.TokenTypeIds);
        return Normalize(Pool(output.LastHiddenState, inputs.AttentionMask, Pooling));
    }

    /// <summary>One text's unit-length embedding.</summary>
    public float[] Encode(string text)
    {
        using var e = Encode([text], 1);
        return e[0].data<float>().ToArray();
    }

    /// <summary>[B, T, H] states and a [B, T] 1/0 mask → [B, H]: the masked mean (sentence-transformers' mean
    /// pooling, the count clamped at 1e-9) or the first ([CLS]) position.</summary>
    public static Tensor Pool(Tensor lastHiddenState, Tensor attentionMask, SentencePooling pooling)
    {
        if (pooling == SentencePooling.Cls) return lastHiddenState.select(1, 0);
        using var scope = NewDisposeScope();
        var mask = attentionMask.unsqueeze(-1).to_type(lastHiddenState.dtype);      // [B, T, 1]
        var summed = (lastHiddenState * mask).sum(1);                                  // [B, H]
        var counts = mask.sum(1).clamp_min(CachedScalars.Of(1e-9));                                      // [B, 1]
        return (summed / counts).MoveToOuterDisposeScope();
    }

    /// <summary>Rows scaled to unit L2 norm (torch.nn.functional.normalize, eps 1e-12).</summary>
    public static Tensor Normalize(Tensor x)
    {
        using var norm = x.norm(1, keepdim: true).clamp_min(CachedScalars.Of(1e-12));
        return x / norm;
    }

    /// <summary>Cosine similarities [N, M] between the rows of <paramref name="a"/> [N, H] and <paramref name="b"/> [M, H].</summary>
    public static Tensor CosineSimilarity(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return Normalize(a).matmul(Normalize(b).t()).MoveToOuterDisposeScope();
    }

    public static float CosineSimilarity(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"vectors of lengths {a.Length} and {b.Length}");
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
        return (float)(dot / Math.Max(Math.Sqrt(na) * Math.Sqrt(nb), 1e-12));
    }

    /// <summary>The <paramref name="k"/> rows of <paramref name="corpus"/> [N, H] most cosine-similar to <paramref name="query"/> [H], best first.</summary>
    public static IReadOnlyList<(int Index, float Score)> TopK(Tensor query, Tensor corpus, int k)
    {
        using var scope = NewDisposeScope();
        var scores = CosineSimilarity(query.reshape(1, -1), corpus)[0];               // [N]
        var (values, indices) = scores.topk(Math.Min(k, (int)corpus.shape[0]));
        var v = values.data<float>().ToArray();
        var i = indices.data<long>().ToArray();
        return v.Select((s, j) => ((int)i[j], s)).ToList();
    }

    /// <summary>Writes sentence-transformers' pooling config (and maximum sequence length when given).</summary>
    public static void SavePoolingConfig(string dir, SentencePooling pooling, int dimension, int? maxSequenceLength = null)
    {
        var config = new JsonObject
        {
            ["word_embedding_dimension"] = dimension,
            ["pooling_mode_cls_token"] = pooling == SentencePooling.Cls,
            ["pooling_mode_mean_tokens"] = pooling == SentencePooling.Mean,
            ["pooling_mode_max_tokens"] = false,
            ["pooling_mode_mean_sqrt_len_tokens"] = false,
        };
        var path = Path.Combine(dir, PoolingConfigFile);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.WriteAllText(path, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        if (maxSequenceLength is { } max)
            AtomicFile.WriteAllText(Path.Combine(dir, SentenceConfigFile), new JsonObject { ["max_seq_length"] = max }.ToJsonString() + "\n");
    }

    /// <summary>The pooling and maximum length of a folder's sentence-transformers files; nulls where absent.</summary>
    public static (SentencePooling? Pooling, int? MaxLength) ReadSentenceConfig(string dir)
    {
        SentencePooling? pooling = null;
        int? maxLength = null;
        var path = Path.Combine(dir, PoolingConfigFile);
        try
        {
            if (File.Exists(path) && JsonNode.Parse(File.ReadAllText(path)) is JsonObject p)
                pooling = p["pooling_mode_cls_token"]?.GetValue<bool>() == true ? SentencePooling.Cls
                        : p["pooling_mode_mean_tokens"]?.GetValue<bool>() == true ? SentencePooling.Mean
                        : throw new InvalidDataException($"{path}: a pooling mode other than mean or [CLS], not supported");
            path = Path.Combine(dir, SentenceConfigFile);
            if (File.Exists(path) && JsonNode.Parse(File.ReadAllText(path))?["max_seq_length"] is JsonValue v) maxLength = v.GetValue<int>();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: not a sentence-transformers config: {e.Message}", e);
        }
        return (pooling, maxLength);
    }

    /// <summary>Writes a folder <see cref="Load"/> reads back as this encoder: the Hugging Face files, sentence-transformers'
    /// pooling and length, and the prompts (each file atomically).</summary>
    public void Save(string dir)
    {
        Pretrained.Save(Model, dir, Tokenizer, MaxLength);
        SavePoolingConfig(dir, Pooling, Dimension, MaxLength);
        if (Prompts.Count > 0) SentencePrompts.Save(dir, Prompts);
    }

    public void Dispose() => Model.Dispose();
}
