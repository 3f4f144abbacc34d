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

    /// <summary>AdamW over the model's trainable parameters with decoupled weight decay on the decay group only; the
    /// parameters under a module of <see cref="TrainerOptions.ModuleLearningRates"/> get that module's rate (the usual
    /// "higher rate for a new head" of transfer learning). <paramref name="parameterFor"/> maps a parameter's name to the
    /// tensor the optimizer should update instead (the fp32 master copy under <see cref="Bf16MasterWeights"/>).</summary>
    public static optim.Optimizer AdamW(nn.Module model, TrainerOptions o, Func<string, Parameter>? parameterFor = null)
    {
        var (decay, noDecay) = Split(model);
        if (decay.Count + noDecay.Count == 0) throw new InvalidOperationException("the model has no trainable parameters");
        var groups = new List<AdamW.ParamGroup>();
        foreach (var (members, weightDecay) in new[] { (decay, o.WeightDecay), (noDecay, 0.0) })
            foreach (var byRate in members.GroupBy(m => RateOf(m.Name, o)))
                groups.Add(new(byRate.Select(m => parameterFor is null ? m.Parameter : parameterFor(m.Name)), lr: byRate.Key, beta1: o.Beta1, beta2: o.Beta2, eps: o.AdamEpsilon, weight_decay: weightDecay));
        return optim.AdamW(groups, o.LearningRate, o.Beta1, o.Beta2, o.AdamEpsilon, o.WeightDecay);
    }

    /// <summary>The peak rate of one parameter: its module's entry in <see cref="TrainerOptions.ModuleLearningRates"/>
    /// when one of the name's dot-separated segments names it, else <see cref="TrainerOptions.LearningRate"/>.</summary>
    public static double RateOf(string parameterName, TrainerOptions o)
    {
        if (o.ModuleLearningRates is not { Count: > 0 } rates) return o.LearningRate;
        foreach (var segment in parameterName.Split('.'))
            if (rates.TryGetValue(segment, out var rate)) return rate;
        return o.LearningRate;
    }
}
