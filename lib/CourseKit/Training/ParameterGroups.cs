using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CourseKit.Training;

/// <summary>Splits trainable parameters into those that get weight decay and those that do not (biases, LayerNorm).</summary>
public static class ParameterGroups
{
    public static (List<(string Name, Parameter Parameter)> Decay, List<(string Name, Parameter Parameter)> NoDecay) Split(nn.Module model)
    {
        var layerNormParams = new HashSet<string>();
        foreach (var (name, module) in model.named_modules())
            if (module is LayerNorm)
                foreach (var (p, _) in module.named_parameters())
                    layerNormParams.Add(name.Length == 0 ? p : $"{name}.{p}");

        var decay = new List<(string, Parameter)>();
        var noDecay = new List<(string, Parameter)>();
        foreach (var (name, p) in model.named_parameters())
        {
            if (!p.requires_grad) continue;
            bool skip = name.EndsWith("bias", StringComparison.Ordinal) || layerNormParams.Contains(name) || p.dim() < 2 && name.Contains("LayerNorm");
            (skip ? noDecay : decay).Add((name, p));
        }
        return (decay, noDecay);
    }

    /// <summary>AdamW over the model's trainable parameters with decoupled weight decay on the decay group only.</summary>
    public static optim.Optimizer AdamW(nn.Module model, TrainerOptions o)
    {
        var (decay, noDecay) = Split(model);
        if (decay.Count + noDecay.Count == 0) throw new InvalidOperationException("the model has no trainable parameters");
        var groups = new List<AdamW.ParamGroup>
        {
            new(decay.Select(d => d.Parameter), lr: o.LearningRate, beta1: o.Beta1, beta2: o.Beta2, eps: o.AdamEpsilon, weight_decay: o.WeightDecay),
            new(noDecay.Select(d => d.Parameter), lr: o.LearningRate, beta1: o.Beta1, beta2: o.Beta2, eps: o.AdamEpsilon, weight_decay: 0.0),
        };
        return optim.AdamW(groups.Where(g => g.Parameters.Any()), o.LearningRate, o.Beta1, o.Beta2, o.AdamEpsilon, o.WeightDecay);
    }
}
