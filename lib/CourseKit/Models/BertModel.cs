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

    /// <param name="inputIds">[B, T] int64; null when <paramref name="inputsEmbeds"/> is given.</param>
    /// <param name="attentionMask">[B, P+T], 1 = a key that may be attended to, 0 = padding; all ones when null. It
    /// covers the P past keys first (P = 0 without <paramref name="pastKeyValues"/>), as in Hugging Face.</param>
    /// <param name="tokenTypeIds">[B, T] segment ids; zeros when null.</param>
    /// <param name="outputAttentions">also return each layer's attention weights [B, nh, T, P+T] (uses the explicit path).</param>
    /// <param name="inputsEmbeds">[B, T, H] word embeddings to use instead of looking up <paramref name="inputIds"/>
    /// (prompt tuning's [soft prompts; word embeddings]); positions and segments are added as for ids.</param>
    /// <param name="pastKeyValues">one (key, value) pair [B, nh, P, hd] per layer, put in front of that layer's keys
    /// and values (prefix tuning). Unlike Hugging Face's decoder cache, they do not shift the positions of the tokens:
    /// a prefix is not text that came before.</param>
    public BertModelOutput forward(Tensor? inputIds, Tensor? attentionMask, Tensor? tokenTypeIds, bool outputAttentions = false,
        Tensor? inputsEmbeds = null, IReadOnlyList<(Tensor Key, Tensor Value)>? pastKeyValues = null)
    {
        if ((inputIds is null) == (inputsEmbeds is null)) throw new ArgumentException("give either input_ids or inputs_embeds");
        if (inputIds is not null && inputIds.dim() != 2) throw new ArgumentException($"input_ids must be [B, T], got [{string.Join(", ", inputIds.shape)}]");
        if (inputsEmbeds is not null && inputsEmbeds.dim() != 3) throw new ArgumentException($"inputs_embeds must be [B, T, H], got [{string.Join(", ", inputsEmbeds.shape)}]");
        var x = embeddings.forward(inputIds, tokenTypeIds, inputsEmbeds);                 // [B, T, H]
        long keys = (pastKeyValues is { Count: > 0 } ? pastKeyValues[0].Key.shape[2] : 0) + x.shape[1];
        if (attentionMask is not null && attentionMask.shape[^1] != keys)
            throw new ArgumentException($"attention_mask covers {attentionMask.shape[^1]} positions; the attention has {keys} keys (past key/values + tokens)");
        using var additiveMask = attentionMask is null || HasNoPadding(attentionMask) ? null : AdditiveMask(attentionMask, x.dtype);   // [B, 1, 1, P+T]
        var (hidden, attentions) = encoder.forward(x, additiveMask, outputAttentions, pastKeyValues);  // [B, T, H]
        var pooled = pooler?.forward(hidden);                                              // [B, H]
        return new BertModelOutput(hidden, pooled, attentions);
    }

    /// <summary>A CPU mask of all ones masks nothing (one sentence, or a batch of equal lengths): adding its zeros to
    /// every layer's scores changes no bit, so it is dropped, which saves an add per layer in the explicit path and
    /// lets SDPA run its unmasked kernel. Only on CPU, where reading the answer back costs no device synchronisation.</summary>
    static bool HasNoPadding(Tensor attentionMask)
    {
        if (attentionMask.device_type != DeviceType.CPU) return false;
        using var all = attentionMask.all();
        return all.item<bool>();
    }

    /// <summary>[B, T] of 1/0 → [B, 1, 1, T] of 0 / dtype's most negative value, added to the attention scores so
    /// masked keys get zero weight after the softmax (HF's extended attention mask).</summary>
    public static Tensor AdditiveMask(Tensor attentionMask, ScalarType dtype)
    {
        using var m = attentionMask.to_type(dtype).unsqueeze(1).unsqueeze(2);          // [B, 1, 1, T]
        // (1 - m) * min, from cached scalars (an inference path must not make Scalars per call; see CachedScalars).
        return m.neg().add_(CachedScalars.One, CachedScalars.One).mul_(CachedScalars.Of(finfo(dtype).min));
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
