using System.Text.Json.Serialization;
using CourseKit.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CourseKit.Peft;

/// <summary>LoRA (Hu et al. 2021): W x + (α/r)·B A x with A [r, in], B [out, r]; only A and B train.</summary>
public sealed record LoraConfig() : PeftConfig(PeftTypes.Lora)
{
    [JsonPropertyName("r")] public int R { get; init; } = 8;
    [JsonPropertyName("lora_alpha")] public double LoraAlpha { get; init; } = 8;
    [JsonPropertyName("lora_dropout")] public double LoraDropout { get; init; }
    [JsonPropertyName("target_modules")] public TargetModules TargetModules { get; init; } = TargetModules.Of("query", "value");
    /// <summary>Which biases train besides LoRA's ("none", as PEFT's default; the kit supports only that).</summary>
    [JsonPropertyName("bias")] public string Bias => "none";
    [JsonIgnore] public double Scaling => LoraAlpha / R;

    public override void Validate()
    {
        Require(R >= 1, $"LoRA: r must be at least 1, got {R}");
        Require(LoraDropout is >= 0 and < 1, $"LoRA: lora_dropout must be in [0, 1), got {LoraDropout}");
    }

    internal override PeftTuner CreateTuner() => new LoraTuner(this);
}

/// <summary>LoRA on one Linear: <c>lora_A</c> (Kaiming-uniform, as PEFT) and <c>lora_B</c> (zeros, so training starts
/// from the base model).</summary>
public sealed class LoraLayer : MergeableAdapterLayer
{
    public readonly Linear lora_A, lora_B;
    public double Scaling { get; }
    readonly double dropout;

    public LoraLayer(string name, Linear baseLayer, LoraConfig config) : base(name, baseLayer)
    {
        Scaling = config.Scaling;
        dropout = config.LoraDropout;
        lora_A = AddModule("lora_A", nn.Linear(baseLayer.in_features, config.R, hasBias: false));
        lora_B = AddModule("lora_B", nn.Linear(config.R, baseLayer.out_features, hasBias: false));
        using var noGrad = no_grad();
        nn.init.kaiming_uniform_(lora_A.weight, a: Math.Sqrt(5));
        lora_B.weight.zero_();
        Activate();
    }

    protected override Tensor AdaptOutput(Tensor x, Tensor y) =>
        y + lora_B.forward(lora_A.forward(nn.functional.dropout(x, dropout, Training))) * Scaling;

    /// <summary>ΔW = (α/r)·B A, [out, in].</summary>
    public Tensor DeltaWeight() => lora_B.weight.matmul(lora_A.weight) * Scaling;

    protected override string Method => "LoRA";

    protected override void FoldIntoBase()
    {
        using var delta = DeltaWeight();
        Base.weight.add_(delta);
    }

    protected override void UnfoldFromBase()
    {
        using var delta = DeltaWeight();
        Base.weight.sub_(delta);
    }
}

public sealed class LoraTuner(LoraConfig config)
    : LinearLayerTuner<LoraLayer>(config.TargetModules, config.ModulesToSave, "LoRA", (name, linear) => new LoraLayer(name, linear, config))
{
    public LoraConfig Config { get; } = config;
    public IReadOnlyList<LoraLayer> LoraLayers => TypedLayers;
}
