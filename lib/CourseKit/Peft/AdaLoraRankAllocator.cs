using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CourseKit.Peft;

/// <summary>
/// Hugging Face PEFT's RankAllocator: after every optimizer step, updates each factor's importance (an EMA of the
/// sensitivity |w·∂L/∂w| times an EMA of its uncertainty) and, as <see cref="AdaLoraConfig.BudgetSchedule"/> says,
/// zeroes the singular values of lowest importance until the total rank fits the budget; for the last tfinal steps the
/// final rank pattern is frozen.
/// </summary>
internal sealed class AdaLoraRankAllocator(AdaLoraConfig config, IReadOnlyList<AdaLoraLayer> layers)
{
    readonly Dictionary<Parameter, (Tensor Sensitivity, Tensor Uncertainty)> ema = [];
    Dictionary<AdaLoraLayer, Tensor>? finalPattern;   // [r, 1] bool keep-mask per layer, frozen for the last tfinal steps

    public int InitialBudget => config.InitR * layers.Count;
    public int TargetBudget => config.TargetR * layers.Count;

    /// <summary>The allocation after <paramref name="step"/> optimizer steps (gradients still set): the total budget
    /// and whether the singular values were masked to it.</summary>
    public (int Budget, bool Masked) Allocate(long step)
    {
        long final = config.TotalStep!.Value - config.TFinal;
        if (step < final)
        {
            UpdateImportance();
            var (budget, masked) = config.BudgetSchedule(step, layers.Count);
            if (masked) MaskToBudget(budget);
            return (budget, masked);
        }
        if (step == final || finalPattern is null)
        {
            finalPattern = MaskToBudget(TargetBudget);
            foreach (var (s, u) in ema.Values) { s.zero_(); u.zero_(); }
            return (TargetBudget, true);
        }
        using var noGrad = no_grad();
        foreach (var (l, keep) in finalPattern) l.lora_E.masked_fill_(keep.logical_not(), 0.0);
        return (TargetBudget, true);
    }

    /// <summary>Sensitivity I = |w ⊙ ∂L/∂w|, Ī ← β1 Ī + (1−β1) I, uncertainty Ū ← β2 Ū + (1−β2) |I − Ī|.</summary>
    void UpdateImportance()
    {
        using var noGrad = no_grad();
        foreach (var l in layers)
            foreach (var p in new[] { l.lora_A, l.lora_E, l.lora_B })
            {
                var grad = p.grad ?? throw new InvalidOperationException(
                    $"AdaLoRA: {l.Name} has no gradient; call AfterOptimizerStep after backward() and before the gradients are cleared");
                if (!ema.TryGetValue(p, out var state))
                {
                    state = (zeros_like(p).DetachFromDisposeScope(), zeros_like(p).DetachFromDisposeScope());
                    ema[p] = state;
                }
                var sensitivity = (p * grad).abs();
                state.Sensitivity.mul_(config.Beta1).add_(sensitivity, alpha: 1 - config.Beta1);
                state.Uncertainty.mul_(config.Beta2).add_((sensitivity - state.Sensitivity).abs(), alpha: 1 - config.Beta2);
            }
    }

    Tensor Score(Parameter p) => ema.TryGetValue(p, out var s) ? s.Sensitivity * s.Uncertainty : zeros_like(p);

    /// <summary>Triplet importance S_i = s(λ_i) + mean_j s(A_ij) + mean_k s(B_ki); the (init budget − budget) lowest get
    /// λ_i = 0. Returns each layer's keep-mask.</summary>
    Dictionary<AdaLoraLayer, Tensor> MaskToBudget(int budget)
    {
        using var noGrad = no_grad();
        var scores = layers.ToDictionary(l => l, l =>
            Score(l.lora_E) + Score(l.lora_A).mean([1], keepdim: true) + Score(l.lora_B).mean([0]).view(-1, 1));   // [r, 1]
        int drop = InitialBudget - budget;
        var keep = new Dictionary<AdaLoraLayer, Tensor>();
        if (drop <= 0)
        {
            foreach (var l in layers) keep[l] = ones(l.lora_E.shape, dtype: ScalarType.Bool).DetachFromDisposeScope();
            return keep;
        }
        // Exactly `drop` triplets go, chosen by index (a stable sort of all scores): a threshold would drop every tied
        // score at the cut, and which float scores tie depends on the CPU's rounding.
        var all = cat(layers.Select(l => scores[l].view(-1)).ToArray());
        var flatKeep = ones(all.shape, dtype: ScalarType.Bool);
        flatKeep.index_fill_(0, all.sort(dim: 0, descending: false, stable: true).Indices.narrow(0, 0, drop), false);
        long offset = 0;
        foreach (var l in layers)
        {
            long rank = scores[l].shape[0];
            var k = flatKeep.narrow(0, offset, rank).view(scores[l].shape).clone();
            offset += rank;
            l.lora_E.masked_fill_(k.logical_not(), 0.0);
            keep[l] = k.DetachFromDisposeScope();
        }
        return keep;
    }

    /// <summary>Adds each factor's sensitivity and uncertainty averages (<c>&lt;layer&gt;.lora_A.ema_sensitivity</c>, ...)
    /// and, once frozen, the final keep-masks (<c>&lt;layer&gt;.final_keep</c>) to <paramref name="state"/>.</summary>
    public void SaveState(Dictionary<string, Tensor> state)
    {
        foreach (var l in layers)
            foreach (var (factor, p) in Factors(l))
                if (ema.TryGetValue(p, out var averages))
                {
                    state[$"{l.Name}.{factor}.ema_sensitivity"] = averages.Sensitivity;
                    state[$"{l.Name}.{factor}.ema_uncertainty"] = averages.Uncertainty;
                }
        if (finalPattern is not null)
            foreach (var (l, keep) in finalPattern) state[$"{l.Name}.final_keep"] = keep;
    }

    /// <summary>Replaces the averages and final keep-masks by those in <paramref name="state"/> (copies).</summary>
    public void LoadState(IReadOnlyDictionary<string, Tensor> state)
    {
        foreach (var (sensitivity, uncertainty) in ema.Values) { sensitivity.Dispose(); uncertainty.Dispose(); }
        ema.Clear();
        if (finalPattern is not null) foreach (var keep in finalPattern.Values) keep.Dispose();
        finalPattern = null;
        foreach (var l in layers)
            foreach (var (factor, p) in Factors(l))
                if (state.TryGetValue($"{l.Name}.{factor}.ema_sensitivity", out var sensitivity) &&
                    state.TryGetValue($"{l.Name}.{factor}.ema_uncertainty", out var uncertainty))
                    ema[p] = (Copy(sensitivity, p, $"{l.Name}.{factor}.ema_sensitivity"), Copy(uncertainty, p, $"{l.Name}.{factor}.ema_uncertainty"));
        if (layers.All(l => state.ContainsKey($"{l.Name}.final_keep")))
            finalPattern = layers.ToDictionary(l => l, l => Copy(state[$"{l.Name}.final_keep"], l.lora_E, $"{l.Name}.final_keep", ScalarType.Bool));
    }

    static (string Factor, Parameter P)[] Factors(AdaLoraLayer l) => [("lora_A", l.lora_A), ("lora_E", l.lora_E), ("lora_B", l.lora_B)];

    static Tensor Copy(Tensor saved, Tensor like, string name, ScalarType? dtype = null) =>
        saved.shape.SequenceEqual(like.shape)
            ? saved.to(dtype ?? saved.dtype, like.device, copy: true).DetachFromDisposeScope()
            : throw new InvalidDataException($"{name}: saved shape [{string.Join(", ", saved.shape)}] does not match [{string.Join(", ", like.shape)}]");
}
