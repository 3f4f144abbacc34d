using System.Text.Json.Nodes;
using CourseKit.Models;
using CourseKit.Reporting;
using CourseKit.Training;
using TorchSharp;

namespace CourseKit.Benchmarks;

public sealed record TrainingBenchmarkOptions
{
    /// <summary>The profile's repeats, held here once: the small BERT (<see cref="SmallBert.Config"/>) at batch 16 ×
    /// 128 tokens, fp32 and bf16. quick: 1 warm-up and 4 timed steps per variant, peak probed every 2 rounds for 0.25 s
    /// per shape, 3 attention repeats; full: 2, 20, every 5 rounds for 0.5 s, 10, and threads 1 and 2.</summary>
    public static TrainingBenchmarkOptions For(Profile profile) => profile == Profile.Quick
        ? new() { Model = SmallBert.Config(), WarmupSteps = 1, TimedSteps = 4, ProbeEvery = 2, ProbeSecondsPerShape = 0.25, AttentionRepeats = 3 }
        : new() { Model = SmallBert.Config(), WarmupSteps = 2, TimedSteps = 20, ProbeEvery = 5, ProbeSecondsPerShape = 0.5, AttentionRepeats = 10, ThreadCounts = [1, 2] };

    public required BertConfig Model { get; init; }
    public int BatchSize { get; init; } = 16;
    public int SequenceLength { get; init; } = 128;
    /// <summary>Untimed steps per variant, then timed steps per variant, all interleaved across variants.</summary>
    public int WarmupSteps { get; init; } = 2;
    public int TimedSteps { get; init; } = 10;
    /// <summary>Sample the matmul peak before the timed steps, after every N rounds of steps, and at the end.</summary>
    public int ProbeEvery { get; init; } = 5;
    public double ProbeSecondsPerShape { get; init; } = 0.5;
    public IReadOnlyList<Precision> Precisions { get; init; } = [Precision.Fp32, Precision.Bf16];
    /// <summary>Torch thread counts to compare (capped at the logical processors); empty = the current setting only.</summary>
    public IReadOnlyList<int> ThreadCounts { get; init; } = [];
    /// <summary>Sequence lengths for fused vs explicit attention; the batch keeps <see cref="AttentionTokens"/> tokens. Empty skips it.</summary>
    public IReadOnlyList<int> AttentionLengths { get; init; } = [128, 512];
    public int AttentionTokens { get; init; } = 2048;
    public int AttentionRepeats { get; init; } = 5;

    public IReadOnlyList<int> EffectiveThreadCounts() => ThreadCounts.Count == 0
        ? [torch.get_num_threads()]
        : ThreadCounts.Select(t => Math.Clamp(t, 1, Environment.ProcessorCount)).Distinct().ToList();
}

/// <summary>One variant's timed steps. <see cref="Mfu"/> is read against the matmul peak of the variant's precision probed
/// at the same thread count (fp32 steps: the fp32 peak, the usual MFU; bf16 steps: the bf16 peak); <see cref="MfuOfFp32Peak"/>
/// is every variant's model FLOP rate against the fp32 peak;
/// <see cref="SpeedupVsFp32"/> is the ratio of median step times to fp32 at the same thread count, from interleaved steps.</summary>
public sealed record TrainingVariantResult(string Name, Precision Precision, int Threads, SampleSummary StepSeconds, SampleSummary TokensPerSecond,
    MfuReading Mfu, double MfuOfFp32Peak, double SpeedupVsFp32);

/// <summary><see cref="Peaks"/>: the fp32 probe of each thread count; <see cref="Bf16Peaks"/>: the bf16 one, when bf16 steps ran.</summary>
public sealed record TrainingBenchmarkResult(long Parameters, double ModelFlopsPerStep, IReadOnlyList<TrainingVariantResult> Variants,
    IReadOnlyDictionary<int, PeakProbe> Peaks, IReadOnlyDictionary<int, PeakProbe> Bf16Peaks, IReadOnlyList<AttentionTiming> Attention, JsonObject Json);

/// <summary>
/// Throughput and model FLOP utilisation (MFU, Chowdhery et al. 2022, PaLM App. B) of the masked-LM training step in
/// fp32 and bf16 at one or more thread counts, and fused vs explicit attention. The variants' steps run interleaved
/// (A B A B …), the fp32 (and bf16) matmul peak is probed before, between and after them on the model's own shapes, and
/// MFU is read against the highest peak of the run; every figure is given as min / median / max over the timed steps.
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
        var environmentBefore = BenchEnvironment.Capture();
        var threads = o.EffectiveThreadCounts();
        var batch = TrainingStepVariant.RandomBatch(o.Model, o.BatchSize, o.SequenceLength);
        var variants = threads.SelectMany(t => o.Precisions.Select(p => new TrainingStepVariant(o.Model, p, t, batch))).ToList();
        var shapes = PeakProbe.ForBert(o.Model, o.BatchSize * o.SequenceLength);
        var peaks = threads.ToDictionary(t => t, t => new PeakProbe(shapes, o.ProbeSecondsPerShape, t));
        var bf16Peaks = o.Precisions.Contains(Precision.Bf16)
            ? threads.ToDictionary(t => t, t => new PeakProbe(shapes, o.ProbeSecondsPerShape, t, torch.ScalarType.BFloat16))
            : new Dictionary<int, PeakProbe>();
        var probes = peaks.Values.Concat(bf16Peaks.Values).ToList();

        using var progress = Reporter.StartProgress("training steps (interleaved)", (o.WarmupSteps + o.TimedSteps) * variants.Count);
        int done = 0;
        var steps = variants.Select(v => (Func<double>)(() => { double s = v.Step(); progress.Report(++done, v.Name); return s; })).ToList();
        foreach (var p in probes) p.Sample("before");
        var samples = Interleaving.Run(steps, o.WarmupSteps, o.TimedSteps, round =>
        {
            bool last = round == o.TimedSteps - 1;
            if (last || (round + 1) % o.ProbeEvery == 0)
                foreach (var p in probes) p.Sample(last ? "after" : $"after round {round + 1}");
        });
        if (o.TimedSteps == 0) foreach (var p in probes) p.Sample("after");

        double flopsPerStep = o.BatchSize * TrainingFlopsPerSequence(o.Model, o.SequenceLength, batch.MaskedTokens / (double)o.BatchSize);
        var results = Summarise(variants, samples, peaks, bf16Peaks, flopsPerStep, o.BatchSize * o.SequenceLength);
        var attention = o.AttentionLengths.Count == 0 ? [] : AttentionBenchmark.Run(o);
        var json = TrainingBenchmarkJson.Build(o, variants[0].Parameters, flopsPerStep, results, peaks, bf16Peaks, attention, environmentBefore);
        return new TrainingBenchmarkResult(variants[0].Parameters, flopsPerStep, results, peaks, bf16Peaks, attention, json);
    }

    static List<TrainingVariantResult> Summarise(List<TrainingStepVariant> variants, IReadOnlyList<IReadOnlyList<double>> samples,
        Dictionary<int, PeakProbe> peaks, Dictionary<int, PeakProbe> bf16Peaks, double flopsPerStep, int tokensPerStep)
    {
        var medians = variants.Select((v, i) => (v, Median: SampleSummary.Of(samples[i]).Median)).ToList();
        return variants.Select((v, i) =>
        {
            var seconds = SampleSummary.Of(samples[i]);
            var fp32 = medians.FirstOrDefault(m => m.v.Threads == v.Threads && m.v.Precision == Precision.Fp32);
            double speedup = fp32.v is null ? double.NaN : fp32.Median / seconds.Median;
            var achieved = seconds.Inverse(flopsPerStep / 1e9);
            var mfu = new MfuReading(achieved, (v.Precision == Precision.Bf16 ? bf16Peaks : peaks)[v.Threads].Peak);
            return new TrainingVariantResult(v.Name, v.Precision, v.Threads, seconds, seconds.Inverse(tokensPerStep), mfu,
                achieved.Median / peaks[v.Threads].Peak, speedup);
        }).ToList();
    }
}
