using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CourseKit.Models;

/// <summary>
/// BERT (Devlin et al. 2019) with Hugging Face's module tree, so <c>state_dict()</c> keys are HF's:
/// <c>embeddings.*</c>, <c>encoder.layer.{i}.*</c>, <c>pooler.dense.*</c>.
/// </summary>
public sealed class BertModel : nn.Module<Tensor, BertModelOutput>, IHuggingFaceModel
{
    public readonly BertEmbeddings embeddings;
    public readonly BertEncoder encoder;
    public readonly BertPooler? pooler;

    public BertConfig Config { get; }

    /// <summary>PEFT hook (prompt tuning): given the batch size, returns soft-prompt embeddings [B, P, H] put in front of
    /// the input's word embeddings. The attention mask is extended with ones for them, the pooler reads the first
    /// position (the first virtual token, as in Hugging Face PEFT), and LastHiddenState leaves the P virtual positions
    /// out so that per-token outputs stay aligned with <c>inputIds</c>.</summary>
    public Func<long, Tensor>? VirtualTokenEmbeddings { get; set; }

    /// <summary>Loads a Hugging Face BERT folder (config.json + model.safetensors); reports via <see cref="Reporting.Reporter"/>.</summary>
    public static BertModel FromPretrained(string dir, bool addPoolingLayer = true) =>
        Pretrained.Load(dir, BertConfig.Load, c => new BertModel(c, addPoolingLayer)).Model;

    /// <param name="addPoolingLayer">false for heads that do not use [CLS] pooling (masked LM, token classification, QA).</param>
    public BertModel(BertConfig config, bool addPoolingLayer = true) : this(config, addPoolingLayer, initWeights: true) { }

    internal BertModel(BertConfig config, bool addPoolingLayer, bool initWeights) : base(nameof(BertModel))
    {
        config.Validate();
        Config = config;
        embeddings = new BertEmbeddings(config);
        encoder = new BertEncoder(config);
        pooler = addPoolingLayer ? new BertPooler(config) : null;
        RegisterComponents();
        if (initWeights) InitWeights();
    }

    internal void InitWeights()
    {
        WeightInit.InitLikeHuggingFace(this, Config.InitializerRange);
        using var _ = no_grad();
        embeddings.word_embeddings.weight![Config.PadTokenId].zero_();   // nn.Embedding(padding_idx) starts at 0
    }

    public override BertModelOutput forward(Tensor inputIds) => forward(inputIds, null, null);

    /// <param name="inputIds">[B, T] int64</param>
    /// <param name="attentionMask">[B, T], 1 = a real token, 0 = padding (keys that must not be attended to); all ones when null.</param>
    /// <param name="tokenTypeIds">[B, T] segment ids; zeros when null.</param>
    /// <param name="outputAttentions">also return each layer's attention weights [B, nh, T, T] (uses the explicit path).</param>
    public BertModelOutput forward(Tensor inputIds, Tensor? attentionMask, Tensor? tokenTypeIds, bool outputAttentions = false)
    {
        if (inputIds.dim() != 2) throw new ArgumentException($"input_ids must be [B, T], got [{string.Join(", ", inputIds.shape)}]");
        var virtualTokens = VirtualTokenEmbeddings?.Invoke(inputIds.shape[0]);          // [B, P, H]
        long P = virtualTokens?.shape[1] ?? 0;
        if (virtualTokens is not null && attentionMask is not null)
            attentionMask = cat([ones(inputIds.shape[0], P, dtype: attentionMask.dtype, device: attentionMask.device), attentionMask], 1);
        var x = embeddings.forward(inputIds, tokenTypeIds, virtualTokens);             // [B, P+T, H]
        using var additiveMask = attentionMask is null ? null : AdditiveMask(attentionMask, x.dtype);
        var (hidden, attentions) = encoder.forward(x, additiveMask, outputAttentions); // [B, P+T, H]
        var pooled = pooler?.forward(hidden);                                          // [B, H]
        if (P > 0) hidden = hidden.narrow(1, P, hidden.shape[1] - P);                    // [B, T, H]
        return new BertModelOutput(hidden, pooled, attentions);
    }

    /// <summary>[B, T] of 1/0 → [B, 1, 1, T] of 0 / dtype's most negative value, added to the attention scores so
    /// masked keys get zero weight after the softmax (HF's extended attention mask).</summary>
    public static Tensor AdditiveMask(Tensor attentionMask, ScalarType dtype)
    {
        using var m = attentionMask.to_type(dtype).unsqueeze(1).unsqueeze(2);          // [B, 1, 1, T]
        return (1.0 - m) * finfo(dtype).min;
    }

    public IReadOnlyDictionary<string, string> TiedWeights { get; } = new Dictionary<string, string>();

    public LoadReport Load(IReadOnlyDictionary<string, Tensor> weights, bool ignoreMismatchedSizes = false) =>
        StateDictLoader.Load(this, weights, new LoadRules("bert")
        {
            IgnorableSuffixes = ["embeddings.position_ids"],
            IgnoreMismatchedSizes = ignoreMismatchedSizes,
        });

    public Dictionary<string, Tensor> StateDictForSave() => state_dict();

    public void SaveConfig(string path)
    {
        Config.Architectures ??= ["BertModel"];
        Config.Save(path);
    }
}
