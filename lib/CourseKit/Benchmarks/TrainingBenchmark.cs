using System.Diagnostics;
using System.Text.Json.Nodes;
using CourseKit.Attention;
using CourseKit.Data;
using CourseKit.Models;
using CourseKit.Native;
using CourseKit.Reporting;
using CourseKit.Tasks.Pretraining;
using TorchSharp;
using static TorchSharp.torch;
using CourseKit.Training;

namespace CourseKit.Benchmarks;

public sealed record TrainingBenchmarkOptions
{
    /// <summary>The profile's repeats, held here once: the small BERT (<see cref="SmallBert.Config"/>) at batch 16 ×
    /// 128 tokens; quick: 1 warm-up and 3 timed steps, 3 attention repeats; full: 3, 20 and 10.</summary>
    public static TrainingBenchmarkOptions For(Profile profile) => profile == Profile.Quick
        ? new() { Model = SmallBert.Config(), BatchSize = 16, SequenceLength = 128, WarmupSteps = 1, TimedSteps = 3, AttentionRepeats = 3 }
        : new() { Model = SmallBert.Config(), BatchSize = 16, SequenceLength = 128, WarmupSteps = 3, TimedSteps = 20, AttentionRepeats = 10 };

    public required BertConfig Model { get; init; }
    public int BatchSize { get; init; } = 16;
    public int SequenceLength { get; init; } = 128;
    public int WarmupSteps { get; init; } = 2;
    public int TimedSteps { get; init; } = 10;
    /// <summary>Sequence lengths for fused vs explicit attention; the batch keeps <see cref="AttentionTokens"/> tokens.</summary>
    public IReadOnlyList<int> AttentionLengths { get; init; } = [128, 512];
    public int AttentionTokens { get; init; } = 2048;
    public int AttentionRepeats { get; init; } = 5;
    public int GemmSize { get; init; } = 1024;
}

/// <summary>Seconds per forward+backward of fused and explicit attention at one sequence length.</summary>
public sealed record AttentionTiming(string What, int SequenceLength, int BatchSize, double ExplicitMs, double FusedMs)
{
    public double Speedup => ExplicitMs / FusedMs;
}

public sealed record TrainingBenchmarkResult(
    double GemmGflops, long Parameters, double TokensPerSecond, double StepSeconds, double ModelFlopsPerStep, double AchievedGflops,
    double Mfu, IReadOnlyList<AttentionTiming> Attention, JsonObject Json);

/// <summary>
/// Throughput and model FLOP utilisation (MFU, Chowdhery et al. 2022, PaLM App. B) of the masked-LM training step,
/// and fused vs explicit attention. MFU = achieved model FLOPs/s ÷ the fp32 GEMM peak measured on the same machine
/// (<see cref="GemmProbe"/>): the share of the machine's matmul speed that does the model's necessary arithmetic.
/// </summary>
public static class TrainingBenchmark
{
    /// <summary>The formula, also written to bench.json.</summary>
    public const string FlopsFormula =
        "per sequence of T tokens with M masked: 6·T·N + 6·M·(H² + H·V) + 12·L·H·T², " +
        "N = L·(4H² + 2H·I) the encoder weights every token multiplies (QKV/output projections and FFN), " +
        "H² + H·V the MLM head transform and tied decoder (run only at masked positions), " +
        "12·L·H·T² the attention scores and weighted sum (2·2·T²·H per layer forward, ×3 for forward+backward). " +
        "Embedding lookups, LayerNorm, softmax, biases and the optimizer are not counted.";

    /// <summary>Training FLOPs (forward + backward = 3 × forward) of one sequence; see <see cref="FlopsFormula"/>.</summary>
    public static double TrainingFlopsPerSequence(BertConfig c, int sequenceLength, double maskedTokens)
    {
        double h = c.HiddenSize, l = c.NumHiddenLayers, t = sequenceLength;
        double n = l * (4 * h * h + 2 * h * c.IntermediateSize);
        return 6 * t * n + 6 * maskedTokens * (h * h + h * c.VocabSize) + 12 * l * h * t * t;
    }

    public static TrainingBenchmarkResult Run(TrainingBenchmarkOptions o)
    {
        double peak = GemmProbe.MeasureGflops(o.GemmSize);
        var (stepSeconds, masked, parameters) = TimeTrainingStep(o);
        double flopsPerStep = o.BatchSize * TrainingFlopsPerSequence(o.Model, o.SequenceLength, masked / (double)o.BatchSize);
        double tokensPerSecond = o.BatchSize * o.SequenceLength / stepSeconds;
        double achieved = flopsPerStep / stepSeconds / 1e9;
        var attention = new List<AttentionTiming>();
        foreach (var t in o.AttentionLengths)
        {
            attention.Add(TimeAttentionOp(o, t));
            attention.Add(TimeEncoder(o, t));
        }
        var json = new JsonObject
        {
            ["model"] = new JsonObject
            {
                ["layers"] = o.Model.NumHiddenLayers, ["hidden"] = o.Model.HiddenSize, ["heads"] = o.Model.NumAttentionHeads,
                ["intermediate"] = o.Model.IntermediateSize, ["vocab_size"] = o.Model.VocabSize, ["parameters"] = parameters,
            },
            ["threads"] = torch.get_num_threads(),
            ["gemm_fp32_gflops"] = peak, ["gemm_size"] = o.GemmSize,
            ["batch_size"] = o.BatchSize, ["sequence_length"] = o.SequenceLength, ["timed_steps"] = o.TimedSteps,
            ["step_seconds"] = stepSeconds, ["tokens_per_second"] = tokensPerSecond,
            ["model_flops_per_step"] = flopsPerStep, ["achieved_gflops"] = achieved, ["mfu"] = achieved / peak,
            ["flops_formula"] = FlopsFormula,
            ["attention"] = new JsonArray(attention.Select(a => (JsonNode)new JsonObject
            {
                ["what"] = a.What, ["sequence_length"] = a.SequenceLength, ["batch_size"] = a.BatchSize,
                ["explicit_ms"] = a.ExplicitMs, ["fused_ms"] = a.FusedMs, ["explicit_over_fused"] = a.Speedup,
            }).ToArray()),
        };
        return new TrainingBenchmarkResult(peak, parameters, tokensPerSecond, stepSeconds, flopsPerStep, achieved, achieved / peak, attention, json);
    }

    /// <summary>Median seconds of the pretraining step (masked-LM loss at 15 % masked positions, backward, clipping,
    /// AdamW) on random tokens, after warm-up steps.</summary>
    static (double Seconds, long MaskedTokens, long Parameters) TimeTrainingStep(TrainingBenchmarkOptions o)
    {
        torch.manual_seed(0);
        var model = new BertForMaskedLM(o.Model);
        model.train();
        var optimizer = ParameterGroups.AdamW(model, new TrainerOptions { LearningRate = 1e-4 });
        var parameters = model.parameters().ToList();
        var gen = new Generator(0);
        var ids = torch.randint(1000, o.Model.VocabSize, [o.BatchSize, o.SequenceLength], generator: gen);
        var labels = torch.where(torch.rand([o.BatchSize, o.SequenceLength], generator: gen) < 0.15, ids, torch.full_like(ids, -100));
        var batch = new MaskedLmBatch(ids, torch.ones_like(ids), labels, ids.numel(), labels.ne(-100).sum().item<long>());
        var times = new List<double>();
        using var progress = Reporter.StartProgress("training step", o.WarmupSteps + o.TimedSteps);
        for (int i = 0; i < o.WarmupSteps + o.TimedSteps; i++)
        {
            using var scope = torch.NewDisposeScope();
            var clock = Stopwatch.StartNew();
            optimizer.zero_grad();
            MaskedLmPretraining.MaskedLoss(model, batch).backward();
            nn.utils.clip_grad_norm_(parameters, 1.0);
            optimizer.step();
            if (i >= o.WarmupSteps) times.Add(clock.Elapsed.TotalSeconds);
            progress.Report(i + 1);
        }
        return (Median(times), batch.MaskedTokens, ParameterCounts.Total(model));
    }

    /// <summary>One attention op, [B, heads, T, head_dim], forward + backward, fused kernel vs matmul/softmax/matmul.</summary>
    static AttentionTiming TimeAttentionOp(TrainingBenchmarkOptions o, int t)
    {
        int b = Math.Max(1, o.AttentionTokens / t), heads = o.Model.NumAttentionHeads, d = o.Model.HeadDim;
        var gen = new Generator(1);
        var q = torch.randn([b, heads, t, d], generator: gen).requires_grad_();
        var k = torch.randn([b, heads, t, d], generator: gen).requires_grad_();
        var v = torch.randn([b, heads, t, d], generator: gen).requires_grad_();
        double Time(Func<Tensor> f) => TimeMs(o.AttentionRepeats, () =>
        {
            f().sum().backward();
            q.grad?.zero_(); k.grad?.zero_(); v.grad?.zero_();
        });
        double explicitMs = Time(() => ScaledDotProductAttention.Explicit(q, k, v).Output);
        double fusedMs = Time(() => ScaledDotProductAttention.Fused(q, k, v));
        return new AttentionTiming("attention op", t, b, explicitMs, fusedMs);
    }

    /// <summary>The whole encoder (dropout off), forward + backward, with each attention implementation.</summary>
    static AttentionTiming TimeEncoder(TrainingBenchmarkOptions o, int t)
    {
        int b = Math.Max(1, o.AttentionTokens / t);
        var config = o.Model.Clone();
        config.HiddenDropoutProb = 0;
        config.AttentionProbsDropoutProb = 0;
        torch.manual_seed(0);
        var model = new BertModel(config, addPoolingLayer: false);
        model.train();
        var ids = torch.randint(1000, config.VocabSize, [b, t], generator: new Generator(2));
        double Time(AttentionImplementation impl)
        {
            config.AttentionImplementation = impl;
            return TimeMs(o.AttentionRepeats, () =>
            {
                model.forward(ids, null, null).LastHiddenState.square().mean().backward();
                model.zero_grad();
            });
        }
        double explicitMs = Time(AttentionImplementation.Eager);
        double fusedMs = Time(AttentionImplementation.Sdpa);
        return new AttentionTiming("whole encoder", t, b, explicitMs, fusedMs);
    }

    /// <summary>Median milliseconds of <paramref name="repeats"/> runs after one warm-up run.</summary>
    static double TimeMs(int repeats, Action body)
    {
        var times = new List<double>();
        for (int i = 0; i <= repeats; i++)
        {
            using var scope = torch.NewDisposeScope();
            var clock = Stopwatch.StartNew();
            body();
            if (i > 0) times.Add(clock.Elapsed.TotalMilliseconds);
        }
        return Median(times);
    }

    static double Median(List<double> xs)
    {
        xs.Sort();
        return xs.Count % 2 == 1 ? xs[xs.Count / 2] : (xs[xs.Count / 2 - 1] + xs[xs.Count / 2]) / 2;
    }
}
