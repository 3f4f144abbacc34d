using System.Text.Json.Serialization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CourseKit.Peft;

/// <summary>
/// AdaLoRA (Zhang et al. 2023): the update in SVD form ΔW = P Λ Q (<c>lora_B</c> [out, r], <c>lora_E</c> [r, 1],
/// <c>lora_A</c> [r, in]), an orthogonality regulariser on P and Q, and a total rank budget that falls from
/// init_r × modules to target_r × modules with a cubic schedule, by zeroing the singular values of lowest importance
/// (sensitivity |w·∂L/∂w| smoothed by an EMA, times its uncertainty). Hugging Face PEFT's schedule: the full budget
/// for the first <see cref="TInit"/> steps, the cubic decrease until step total_step − <see cref="TFinal"/>, then the
/// final rank pattern is frozen for the last <see cref="TFinal"/> steps.
/// </summary>
public sealed record AdaLoraConfig() : PeftConfig(PeftTypes.AdaLora)
{
    [JsonPropertyName("init_r")] public int InitR { get; init; } = 12;
    [JsonPropertyName("target_r")] public int TargetR { get; init; } = 8;
    [JsonPropertyName("lora_alpha")] public double LoraAlpha { get; init; } = 8;
    [JsonPropertyName("lora_dropout")] public double LoraDropout { get; init; }
    [JsonPropertyName("target_modules")] public TargetModules TargetModules { get; init; } = TargetModules.Of("query", "value");
    /// <summary>Steps at the full budget before the decrease starts.</summary>
    [JsonPropertyName("tinit")] public long TInit { get; init; }
    /// <summary>Last steps of training at the final budget, with the rank pattern frozen.</summary>
    [JsonPropertyName("tfinal")] public long TFinal { get; init; }
    /// <summary>During the decrease, re-allocate the budget every deltaT steps.</summary>
    [JsonPropertyName("deltaT")] public long DeltaT { get; init; } = 1;
    [JsonPropertyName("beta1")] public double Beta1 { get; init; } = 0.85;
    [JsonPropertyName("beta2")] public double Beta2 { get; init; } = 0.85;
    [JsonPropertyName("orth_reg_weight")] public double OrthRegWeight { get; init; } = 0.5;
    /// <summary>The number of optimizer steps of the training run (the schedule's length); required.</summary>
    [JsonPropertyName("total_step")] public long? TotalStep { get; init; }

    public override void Validate()
    {
        Require(InitR >= 1 && TargetR >= 1, $"AdaLoRA: init_r ({InitR}) and target_r ({TargetR}) must be at least 1");
        Require(TargetR <= InitR, $"AdaLoRA: target_r ({TargetR}) must not exceed init_r ({InitR})");
        Require(LoraDropout is >= 0 and < 1, $"AdaLoRA: lora_dropout must be in [0, 1), got {LoraDropout}");
        Require(TotalStep is > 0, "AdaLoRA: total_step (the run's number of optimizer steps) must be set");
        Require(TInit >= 0 && TFinal >= 0 && TInit + TFinal < TotalStep,
            $"AdaLoRA: tinit ({TInit}) + tfinal ({TFinal}) must be below total_step ({TotalStep}), leaving steps for the budget to fall");
        Require(DeltaT >= 1, $"AdaLoRA: deltaT must be at least 1, got {DeltaT}");
        Require(Beta1 is >= 0 and < 1 && Beta2 is >= 0 and < 1, "AdaLoRA: beta1 and beta2 must be in [0, 1)");
        Require(OrthRegWeight >= 0, $"AdaLoRA: orth_reg_weight must not be negative, got {OrthRegWeight}");
    }

    /// <summary>The total rank budget after <paramref name="step"/> optimizer steps, and whether the budget is
    /// re-allocated at that step (PEFT's RankAllocator.budget_schedule).</summary>
    public (int Budget, bool Mask) BudgetSchedule(long step, int modules)
    {
        int initBudget = InitR * modules, targetBudget = TargetR * modules;
        long total = TotalStep!.Value;
        if (step <= TInit) return (initBudget, false);
        if (step > total - TFinal) return (targetBudget, true);
        double remaining = 1 - (double)(step - TInit) / (total - TFinal - TInit);
        int budget = (int)((initBudget - targetBudget) * remaining * remaining * remaining + targetBudget);
        return (budget, step % DeltaT == 0);
    }

    internal override PeftTuner CreateTuner() => new AdaLoraTuner(this);
}

/// <summary>AdaLoRA on one Linear: y + (α/r)·(dropout(x) (A⊙E)ᵀ Bᵀ). E starts at zero, A and B ~ N(0, 0.02²), as PEFT.</summary>
public sealed class AdaLoraLayer : LinearAdapterLayer
{
    public readonly Parameter lora_A, lora_E, lora_B;
    public double Scaling { get; }
    readonly double dropout;

    public AdaLoraLayer(string name, Linear baseLayer, AdaLoraConfig config) : base(name, baseLayer)
    {
        Scaling = config.LoraAlpha / config.InitR;
        dropout = config.LoraDropout;
        lora_A = AddParameter("lora_A", empty(config.InitR, baseLayer.in_features).normal_(0, 0.02));
        lora_E = AddParameter("lora_E", zeros(config.InitR, 1));
        lora_B = AddParameter("lora_B", empty(baseLayer.out_features, config.InitR).normal_(0, 0.02));
        Activate();
    }

    protected override Tensor AdaptOutput(Tensor x, Tensor y) =>
        y + nn.functional.dropout(x, dropout, Training).matmul((lora_A * lora_E).t()).matmul(lora_B.t()) * Scaling;

    /// <summary>The singular values still in use: non-zero entries of Λ.</summary>
    public int Rank
    {
        get
        {
            using var nz = lora_E.detach().ne(0).sum();
            return (int)nz.item<long>();
        }
    }
}

/// <summary>One record of the rank allocation: after <see cref="Step"/> optimizer steps, the budget and each module's rank.</summary>
public sealed record AdaLoraRankRecord(long Step, int Budget, bool Masked, IReadOnlyDictionary<string, int> Ranks)
{
    public int TotalRank => Ranks.Values.Sum();
}
