using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Models;

/// <summary>What the BERT task heads share: the config, HF-style init, loading and saving under "bert.*" names.</summary>
public abstract class BertPreTrainedModel<TOutput> : nn.Module<Tensor, TOutput>, IHuggingFaceModel
{
    public BertConfig Config { get; }

    protected BertPreTrainedModel(string name, BertConfig config) : base(name)
    {
        config.Validate();
        Config = config;
    }

    /// <summary>The encoder under the head (<c>bert.*</c>).</summary>
    public abstract BertModel Bert { get; }

    public override TOutput forward(Tensor inputIds) => forward(inputIds, null, null, null);

    /// <summary>The encoder, then the head: <see cref="BertModel.forward(Tensor?, Tensor?, Tensor?, bool, Tensor?, IReadOnlyList{ValueTuple{Tensor, Tensor}}?)"/>
    /// then <see cref="ForwardHead"/>.</summary>
    /// <param name="inputIds">[B, T] int64; null when <paramref name="inputsEmbeds"/> is given.</param>
    /// <param name="attentionMask">[B, T] 1 = token, 0 = padding ([B, P+T] with <paramref name="pastKeyValues"/>)</param>
    /// <param name="tokenTypeIds">[B, T] segment ids</param>
    /// <param name="labels">the head's targets; when given, the output carries the loss.</param>
    /// <param name="inputsEmbeds">[B, T, H] instead of <paramref name="inputIds"/> (Hugging Face's inputs_embeds).</param>
    /// <param name="pastKeyValues">per layer, extra keys and values [B, nh, P, hd] (Hugging Face's past_key_values).</param>
    public TOutput forward(Tensor? inputIds, Tensor? attentionMask, Tensor? tokenTypeIds, Tensor? labels, bool outputAttentions = false,
        Tensor? inputsEmbeds = null, IReadOnlyList<(Tensor Key, Tensor Value)>? pastKeyValues = null) =>
        ForwardHead(Bert.forward(inputIds, attentionMask, tokenTypeIds, outputAttentions, inputsEmbeds, pastKeyValues), labels);

    /// <summary>The head alone, on the encoder's output (what follows <c>bert</c> in <see cref="forward(Tensor?, Tensor?, Tensor?, Tensor?, bool, Tensor?, IReadOnlyList{ValueTuple{Tensor, Tensor}}?)"/>).</summary>
    /// <param name="hidden">the encoder's output: LastHiddenState [B, T, H], PoolerOutput [B, H] when the model has a pooler.</param>
    /// <param name="labels">the head's targets; when given, the output carries the loss.</param>
    public abstract TOutput ForwardHead(BertModelOutput hidden, Tensor? labels);

    /// <summary>Registers the submodules and draws fresh weights the way HF does.</summary>
    protected void Build()
    {
        RegisterComponents();
        WeightInit.InitLikeHuggingFace(this, Config.InitializerRange);
        using var _ = no_grad();
        Bert.embeddings.word_embeddings.weight![Config.PadTokenId].zero_();
        AfterInit();
    }

    protected virtual void AfterInit() { }

    protected double ClassifierDropout => Config.ClassifierDropout ?? Config.HiddenDropoutProb;

    public virtual IReadOnlyDictionary<string, string> TiedWeights { get; } = new Dictionary<string, string>();

    public LoadReport Load(IReadOnlyDictionary<string, Tensor> weights, bool ignoreMismatchedSizes = false) =>
        StateDictLoader.Load(this, weights, new LoadRules("bert")
        {
            TiedWeights = TiedWeights,
            IgnorableSuffixes = ["embeddings.position_ids"],
            IgnoreMismatchedSizes = ignoreMismatchedSizes,
        });

    public Dictionary<string, Tensor> StateDictForSave() => state_dict();

    public void SaveConfig(string path)
    {
        Config.Architectures = [GetType().Name];
        Config.Save(path);
    }
}
