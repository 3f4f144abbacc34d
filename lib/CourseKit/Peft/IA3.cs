using System.Text.Json.Serialization;
using CourseKit.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CourseKit.Peft;

/// <summary>
/// (IA)³ (Liu et al. 2022): learned vectors that rescale the keys (l_k), the values (l_v) and the feed-forward's
/// intermediate activations (l_ff, the input of the second feed-forward Linear), all initialised to ones.
/// </summary>
public sealed record IA3Config() : PeftConfig(PeftTypes.IA3)
{
    /// <summary>Default: the keys, the values and the feed-forward's output Linear of every layer.</summary>
    [JsonPropertyName("target_modules")]
    public TargetModules TargetModules { get; init; } = TargetModules.Matching(@".*\.attention\.self\.(key|value)|.*\.layer\.\d+\.output\.dense");
    /// <summary>Targets whose input (not output) is rescaled.</summary>
    [JsonPropertyName("feedforward_modules")]
    public TargetModules FeedforwardModules { get; init; } = TargetModules.Matching(@".*\.layer\.\d+\.output\.dense");

    internal override PeftTuner CreateTuner() => new IA3Tuner(this);
}

/// <summary>IA3 on one Linear: <c>ia3_l</c> of shape [out, 1] (rescales the output) or, on a feed-forward module,
/// [1, in] (rescales the input), PEFT's shapes.</summary>
public sealed class IA3Layer : MergeableAdapterLayer
{
    public readonly Parameter ia3_l;
    public bool IsFeedforward { get; }

    public IA3Layer(string name, Linear baseLayer, bool isFeedforward) : base(name, baseLayer)
    {
        IsFeedforward = isFeedforward;
        ia3_l = AddParameter("ia3_l", isFeedforward ? ones(1, baseLayer.in_features) : ones(baseLayer.out_features, 1));
        Activate();
    }

    protected override bool OnInput => IsFeedforward;
    // ia3_l is registered on the Linear it scales, and TorchSharp's Linear.to converts only weight and bias: under bf16
    // training it stays fp32 (its own master copy), so it is cast to the activations' dtype here.
    protected override Tensor AdaptInput(Tensor x) => x * ia3_l.flatten().to(x.dtype);
    protected override Tensor AdaptOutput(Tensor x, Tensor y) => y * ia3_l.flatten().to(y.dtype);

    protected override string Method => "IA3";

    /// <summary>W ← W·diag(l) (feed-forward) or diag(l)·W and b ← l⊙b.</summary>
    protected override void FoldIntoBase()
    {
        // Unmerging divides by l: a zero scale would make the base weights inf/NaN, so it is refused before any change.
        using (var zero = ia3_l.eq(0).any())
            if (zero.item<bool>()) throw new InvalidOperationException($"{Name}: an IA3 scale is exactly 0, so the merge could not be undone; not merged");
        Base.weight.mul_(ia3_l);                                       // [out, in] ⊙ [1, in] or [out, 1]
        if (!IsFeedforward) Base.bias?.mul_(ia3_l.flatten());
    }

    protected override void UnfoldFromBase()
    {
        Base.weight.div_(ia3_l);
        if (!IsFeedforward) Base.bias?.div_(ia3_l.flatten());
    }
}

public sealed class IA3Tuner(IA3Config config)
    : LinearLayerTuner<IA3Layer>(config.TargetModules, config.ModulesToSave, "IA3",
        (name, linear) => new IA3Layer(name, linear, config.FeedforwardModules.Matches(name)))
{
    public IA3Config Config { get; } = config;
    public IReadOnlyList<IA3Layer> IA3Layers => TypedLayers;
}
