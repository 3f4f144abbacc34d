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

    /// <param name="inputIds">[B, T] int64</param>
    /// <param name="attentionMask">[B, T] 1 = token, 0 = padding</param>
    /// <param name="tokenTypeIds">[B, T] segment ids</param>
    /// <param name="labels">the head's targets; when given, the output carries the loss.</param>
    public abstract TOutput forward(Tensor inputIds, Tensor? attentionMask, Tensor? tokenTypeIds, Tensor? labels, bool outputAttentions = false);

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
