using System.Text.Json.Serialization;
using CourseKit.Models;
using CourseKit.Reporting;
using CourseKit.Viz;
using Microsoft.Data.Analysis;
using Plotly.NET;
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

/// <summary>The layers and PEFT's RankAllocator: importance EMAs, budget schedule, masking, and the rank log.</summary>
public sealed class AdaLoraTuner(AdaLoraConfig config) : PeftTuner
{
    readonly List<AdaLoraLayer> layers = [];
    readonly Dictionary<Parameter, (Tensor Sensitivity, Tensor Uncertainty)> ema = [];
    readonly List<AdaLoraRankRecord> history = [];
    Dictionary<AdaLoraLayer, Tensor>? finalPattern;   // [r, 1] bool keep-mask per layer, frozen for the last tfinal steps

    public AdaLoraConfig Config { get; } = config;
    public override IReadOnlyList<LinearAdapterLayer> Layers => layers;
    public IReadOnlyList<AdaLoraLayer> AdaLoraLayers => layers;
    /// <summary>One record per call of <see cref="AfterOptimizerStep"/>.</summary>
    public IReadOnlyList<AdaLoraRankRecord> RankHistory => history;
    /// <summary>Show each record through <see cref="Reporter"/> as it is made.</summary>
    public bool ReportRanks { get; set; }

    internal override void Attach(BertPreTrainedModel<ClassifierOutput> model)
    {
        foreach (var (name, linear) in FindTargets(model, Config.TargetModules, Config.ModulesToSave ?? [], "AdaLoRA"))
            layers.Add(new AdaLoraLayer(name, linear, Config));
    }

    public int InitialBudget => Config.InitR * layers.Count;
    public int TargetBudget => Config.TargetR * layers.Count;

    /// <summary>orth_reg_weight × mean over P and Q of ‖PᵀP − I‖_F / ‖QQᵀ − I‖_F (PEFT's AdaLoraModel.forward).</summary>
    public override Tensor? RegularizationLoss()
    {
        if (Config.OrthRegWeight == 0) return null;
        Tensor? sum = null;
        foreach (var l in layers)
            foreach (var cov in new[] { l.lora_A.matmul(l.lora_A.t()), l.lora_B.t().matmul(l.lora_B) })
            {
                var term = linalg.matrix_norm(cov - eye(cov.shape[0], dtype: cov.dtype, device: cov.device));
                sum = sum is null ? term : sum + term;
            }
        return sum! / (2 * layers.Count) * Config.OrthRegWeight;
    }

    /// <summary>PEFT's update_and_allocate: call after optimizer.step() and before the gradients are cleared (the
    /// Trainer does, through <see cref="PeftModel"/>). <paramref name="step"/> = optimizer steps done so far.</summary>
    public override void AfterOptimizerStep(long step)
    {
        using var scope = NewDisposeScope();
        long total = Config.TotalStep!.Value, final = total - Config.TFinal;
        int budget;
        bool masked;
        if (step < final)
        {
            UpdateImportance();
            (budget, masked) = Config.BudgetSchedule(step, layers.Count);
            if (masked) MaskToBudget(budget);
        }
        else if (step == final || finalPattern is null)
        {
            budget = TargetBudget;
            masked = true;
            finalPattern = MaskToBudget(budget);
            foreach (var (s, u) in ema.Values) { s.zero_(); u.zero_(); }
        }
        else
        {
            budget = TargetBudget;
            masked = true;
            using var noGrad = no_grad();
            foreach (var (l, keep) in finalPattern) l.lora_E.masked_fill_(keep.logical_not(), 0.0);
        }
        var record = new AdaLoraRankRecord(step, budget, masked, layers.ToDictionary(l => l.Name, l => l.Rank));
        history.Add(record);
        if (ReportRanks) Reporter.Show(record);
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
                state.Sensitivity.mul_(Config.Beta1).add_(sensitivity, alpha: 1 - Config.Beta1);
                state.Uncertainty.mul_(Config.Beta2).add_((sensitivity - state.Sensitivity).abs(), alpha: 1 - Config.Beta2);
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

    /// <summary>What a resumed run needs besides the weights: each factor's sensitivity and uncertainty averages
    /// (<c>&lt;layer&gt;.lora_A.ema_sensitivity</c>, ...), the final keep-masks once frozen (<c>&lt;layer&gt;.final_keep</c>)
    /// and the rank log (<c>adalora.rank_history</c>: [records, 3 + layers] = step, budget, masked, rank per layer).</summary>
    internal override Dictionary<string, Tensor> TrainingState()
    {
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var l in layers)
            foreach (var (factor, p) in Factors(l))
                if (ema.TryGetValue(p, out var averages))
                {
                    state[$"{l.Name}.{factor}.ema_sensitivity"] = averages.Sensitivity;
                    state[$"{l.Name}.{factor}.ema_uncertainty"] = averages.Uncertainty;
                }
        if (finalPattern is not null)
            foreach (var (l, keep) in finalPattern) state[$"{l.Name}.final_keep"] = keep;
        if (history.Count > 0)
        {
            int width = 3 + layers.Count;
            var rows = new long[history.Count * width];
            for (int i = 0; i < history.Count; i++)
            {
                var r = history[i];
                rows[i * width] = r.Step;
                rows[i * width + 1] = r.Budget;
                rows[i * width + 2] = r.Masked ? 1 : 0;
                for (int j = 0; j < layers.Count; j++) rows[i * width + 3 + j] = r.Ranks[layers[j].Name];
            }
            state[RankHistoryKey] = tensor(rows, [history.Count, width]);
        }
        return state;
    }

    internal override void LoadTrainingState(IReadOnlyDictionary<string, Tensor> state)
    {
        foreach (var (sensitivity, uncertainty) in ema.Values) { sensitivity.Dispose(); uncertainty.Dispose(); }
        ema.Clear();
        if (finalPattern is not null) foreach (var keep in finalPattern.Values) keep.Dispose();
        finalPattern = null;
        history.Clear();
        foreach (var l in layers)
            foreach (var (factor, p) in Factors(l))
                if (state.TryGetValue($"{l.Name}.{factor}.ema_sensitivity", out var sensitivity) &&
                    state.TryGetValue($"{l.Name}.{factor}.ema_uncertainty", out var uncertainty))
                    ema[p] = (Copy(sensitivity, p, $"{l.Name}.{factor}.ema_sensitivity"), Copy(uncertainty, p, $"{l.Name}.{factor}.ema_uncertainty"));
        if (layers.All(l => state.ContainsKey($"{l.Name}.final_keep")))
            finalPattern = layers.ToDictionary(l => l, l => Copy(state[$"{l.Name}.final_keep"], l.lora_E, $"{l.Name}.final_keep", ScalarType.Bool));
        if (state.TryGetValue(RankHistoryKey, out var log))
        {
            int width = 3 + layers.Count;
            if (log.dim() != 2 || log.shape[1] != width)
                throw new InvalidDataException($"{RankHistoryKey}: expected [records, {width}] for {layers.Count} layers, got [{string.Join(", ", log.shape)}]");
            var rows = log.to(ScalarType.Int64).data<long>().ToArray();
            for (int i = 0; i < log.shape[0]; i++)
                history.Add(new AdaLoraRankRecord(rows[i * width], (int)rows[i * width + 1], rows[i * width + 2] != 0,
                    layers.Select((l, j) => (l.Name, Rank: (int)rows[i * width + 3 + j])).ToDictionary(x => x.Name, x => x.Rank)));
        }
    }

    const string RankHistoryKey = "adalora.rank_history";

    static (string Factor, Parameter P)[] Factors(AdaLoraLayer l) => [("lora_A", l.lora_A), ("lora_E", l.lora_E), ("lora_B", l.lora_B)];

    static Tensor Copy(Tensor saved, Tensor like, string name, ScalarType? dtype = null) =>
        saved.shape.SequenceEqual(like.shape)
            ? saved.to(dtype ?? saved.dtype, like.device, copy: true).DetachFromDisposeScope()
            : throw new InvalidDataException($"{name}: saved shape [{string.Join(", ", saved.shape)}] does not match [{string.Join(", ", like.shape)}]");

    /// <summary>The rank log in long form: step, module, rank (plus the total and the budget as modules "total" and "budget").</summary>
    public DataFrame RankFrame()
    {
        var rows = new List<(long Step, string Module, long Rank)>();
        foreach (var r in history)
        {
            foreach (var (module, rank) in r.Ranks) rows.Add((r.Step, module, rank));
            rows.Add((r.Step, "total", r.TotalRank));
            rows.Add((r.Step, "budget", r.Budget));
        }
        return new DataFrame(
            new Int64DataFrameColumn("step", rows.Select(r => r.Step)),
            new StringDataFrameColumn("module", rows.Select(r => r.Module)),
            new Int64DataFrameColumn("rank", rows.Select(r => r.Rank)));
    }

    /// <summary>Rank per module against the step, one line each.</summary>
    public GenericChart PlotRanks() =>
        Charts.Lines("AdaLoRA rank per module", "step", "rank",
            layers.Select(l => (l.Name, history.Select(r => (double)r.Step).ToArray(), history.Select(r => (double)r.Ranks[l.Name]).ToArray())).ToArray());
}
