using System.Text.Json.Nodes;
using CourseKit.Training;

namespace CourseKit.Benchmarks;

/// <summary>bench.json of <see cref="TrainingBenchmark"/>: the environment before and after, the model, the method, every
/// variant's min / median / max, the peak probes and the attention timings.</summary>
static class TrainingBenchmarkJson
{
    public static JsonObject Build(TrainingBenchmarkOptions o, long parameters, double flopsPerStep, IReadOnlyList<TrainingVariantResult> variants,
        IReadOnlyDictionary<int, PeakProbe> peaks, IReadOnlyDictionary<int, PeakProbe> bf16Peaks, IReadOnlyList<AttentionTiming> attention,
        JsonObject environmentBefore) => new()
    {
        ["environment_before"] = environmentBefore,
        ["environment_after"] = BenchEnvironment.Capture(),
        ["model"] = new JsonObject
        {
            ["layers"] = o.Model.NumHiddenLayers, ["hidden"] = o.Model.HiddenSize, ["heads"] = o.Model.NumAttentionHeads,
            ["intermediate"] = o.Model.IntermediateSize, ["vocab_size"] = o.Model.VocabSize, ["parameters"] = parameters,
        },
        ["batch_size"] = o.BatchSize, ["sequence_length"] = o.SequenceLength,
        ["warmup_steps"] = o.WarmupSteps, ["timed_steps"] = o.TimedSteps,
        ["model_flops_per_step"] = flopsPerStep, ["flops_formula"] = TrainingBenchmark.FlopsFormula,
        ["method"] = "variants' steps interleaved (A B A B ...) after warm-up steps; fp32 matmul peak probed before, every " +
                     $"{o.ProbeEvery} rounds and after, per thread count; MFU = model FLOPs/s at each step / the highest peak " +
                     "window of the run at that thread count and precision (fp32 steps: fp32 peak; bf16 steps: bf16 peak), reported only " +
                     "when no step exceeds it; mfu_of_fp32_peak = every variant's median model FLOP rate / the fp32 peak",
        ["variants"] = new JsonArray(variants.Select(v => (JsonNode)new JsonObject
        {
            ["name"] = v.Name, ["precision"] = v.Precision.ToString().ToLowerInvariant(), ["threads"] = v.Threads,
            ["step_seconds"] = v.StepSeconds.ToJson(5), ["tokens_per_second"] = v.TokensPerSecond.ToJson(1),
            ["mfu"] = v.Mfu.ToJson(),
            ["mfu_of_fp32_peak"] = Math.Round(v.MfuOfFp32Peak, 4),
            ["speedup_vs_fp32_same_threads"] = double.IsFinite(v.SpeedupVsFp32) ? Math.Round(v.SpeedupVsFp32, 3) : null,
        }).ToArray()),
        ["peak_probes"] = new JsonObject(peaks.Select(kv => KeyValuePair.Create($"fp32_threads_{kv.Key}", (JsonNode?)kv.Value.ToJson()))
            .Concat(bf16Peaks.Select(kv => KeyValuePair.Create($"bf16_threads_{kv.Key}", (JsonNode?)kv.Value.ToJson())))),
        ["attention"] = new JsonArray(attention.Select(a => (JsonNode)new JsonObject
        {
            ["what"] = a.What, ["sequence_length"] = a.SequenceLength, ["batch_size"] = a.BatchSize,
            ["explicit_ms"] = a.Explicit.ToJson(2), ["fused_ms"] = a.Fused.ToJson(2), ["explicit_over_fused"] = Math.Round(a.Speedup, 3),
        }).ToArray()),
    };
}
