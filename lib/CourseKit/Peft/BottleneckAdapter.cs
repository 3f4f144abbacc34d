using System.Text.Json.Serialization;
using CourseKit.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CourseKit.Peft;

/// <summary>
/// Bottleneck adapters (Houlsby et al. 2019): h + W_up f(W_down h) after the attention output projection and after
/// the feed-forward output projection, i.e. before each residual + LayerNorm. Near-identity at the start: the
/// weights are drawn from N(0, <see cref="InitStd"/>²) truncated at two standard deviations, biases zero. As in the
/// paper, the LayerNorms that follow the adapters train too (<see cref="TrainLayerNorms"/>).
/// </summary>
public sealed record BottleneckAdapterConfig() : PeftConfig(PeftTypes.BottleneckAdapter)
{
    /// <summary>m, the bottleneck width.</summary>
    [JsonPropertyName("bottleneck_size")] public int BottleneckSize { get; init; } = 64;
    [JsonPropertyName("non_linearity")] public string NonLinearity { get; init; } = "gelu";
    [JsonPropertyName("init_std")] public double InitStd { get; init; } = 1e-2;
    [JsonPropertyName("train_layer_norms")] public bool TrainLayerNorms { get; init; } = true;
    /// <summary>Default: <c>attention.output.dense</c> and the feed-forward's <c>output.dense</c> of every layer.</summary>
    [JsonPropertyName("target_modules")] public TargetModules TargetModules { get; init; } = TargetModules.Of("output.dense");

    public override void Validate()
    {
        Require(BottleneckSize >= 1, $"bottleneck adapter: bottleneck_size must be at least 1, got {BottleneckSize}");
        Require(Activations.Known.Contains(NonLinearity), $"bottleneck adapter: non_linearity '{NonLinearity}' is not one of {string.Join(", ", Activations.Known)}");
        Require(InitStd > 0, $"bottleneck adapter: init_std must be positive, got {InitStd}");
    }

    internal override PeftTuner CreateTuner() => new BottleneckAdapterTuner(this);
}

/// <summary>An adapter on the output of one projection: <c>adapter_down</c> [m, H], <c>adapter_up</c> [H, m].</summary>
public sealed class BottleneckAdapterLayer : LinearAdapterLayer
{
    public readonly Linear adapter_down, adapter_up;
    readonly Func<Tensor, Tensor> act;

    public BottleneckAdapterLayer(string name, Linear baseLayer, BottleneckAdapterConfig config) : base(name, baseLayer)
    {
        act = Activations.Get(config.NonLinearity);
        adapter_down = AddModule("adapter_down", nn.Linear(baseLayer.out_features, config.BottleneckSize));
        adapter_up = AddModule("adapter_up", nn.Linear(config.BottleneckSize, baseLayer.out_features));
        using var noGrad = no_grad();
        foreach (var l in new[] { adapter_down, adapter_up })
        {
            nn.init.trunc_normal_(l.weight, 0, config.InitStd, -2 * config.InitStd, 2 * config.InitStd);
            l.bias!.zero_();
        }
        Activate();
    }

    protected override Tensor AdaptOutput(Tensor x, Tensor h) => h + adapter_up.forward(act(adapter_down.forward(h)));
}

public sealed class BottleneckAdapterTuner(BottleneckAdapterConfig config) : PeftTuner
{
    readonly List<BottleneckAdapterLayer> layers = [];
    public BottleneckAdapterConfig Config { get; } = config;
    public override IReadOnlyList<LinearAdapterLayer> Layers => layers;

    internal override void Attach(BertPreTrainedModel<ClassifierOutput> model)
    {
        foreach (var (name, linear) in FindTargets(model, Config.TargetModules, Config.ModulesToSave ?? [], "bottleneck adapter"))
            layers.Add(new BottleneckAdapterLayer(name, linear, Config));
        if (!Config.TrainLayerNorms) return;
        // The LayerNorm next to each adapted projection (BertSelfOutput / BertOutput: dense, dropout, LayerNorm).
        var norms = layers.Select(l => l.Name[..(l.Name.LastIndexOf('.') + 1)] + "LayerNorm").ToHashSet();
        foreach (var (name, module) in model.named_modules())
            if (norms.Contains(name))
                foreach (var p in module.parameters()) p.requires_grad_(true);
    }
}
