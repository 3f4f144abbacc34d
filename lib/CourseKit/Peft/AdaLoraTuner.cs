using CourseKit.Models;
using CourseKit.Reporting;
using CourseKit.Viz;
using Microsoft.Data.Analysis;
using Plotly.NET;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Peft;

/// <summary>AdaLoRA on a model: the layers, the orthogonality regulariser, the rank allocation after every optimizer
/// step (<see cref="AdaLoraRankAllocator"/>) and the rank log.</summary>
public sealed class AdaLoraTuner(AdaLoraConfig config) : PeftTuner
{
    readonly List<AdaLoraLayer> layers = [];
    readonly List<AdaLoraRankRecord> history = [];
    AdaLoraRankAllocator allocator = null!;

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
        allocator = new AdaLoraRankAllocator(Config, layers);
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
    public override bool HasAfterOptimizerStep => true;

    public override void AfterOptimizerStep(long step)
    {
        using var scope = NewDisposeScope();
        var (budget, masked) = allocator.Allocate(step);
        var record = new AdaLoraRankRecord(step, budget, masked, layers.ToDictionary(l => l.Name, l => l.Rank));
        history.Add(record);
        if (ReportRanks) Reporter.Show(record);
    }

    /// <summary>What a resumed run needs besides the weights: the allocator's importance averages and final keep-masks
    /// (see <see cref="AdaLoraRankAllocator.SaveState"/>) and the rank log (<c>adalora.rank_history</c>:
    /// [records, 3 + layers] = step, budget, masked, rank per layer).</summary>
    internal override Dictionary<string, Tensor> TrainingState()
    {
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        allocator.SaveState(state);
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
        allocator.LoadState(state);
        history.Clear();
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
