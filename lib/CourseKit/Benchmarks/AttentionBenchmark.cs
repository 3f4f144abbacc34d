using System.Diagnostics;
using CourseKit.Attention;
using CourseKit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Benchmarks;

/// <summary>Milliseconds per forward+backward of fused and explicit attention at one sequence length (medians, with
/// each variant's min / median / max).</summary>
public sealed record AttentionTiming(string What, int SequenceLength, int BatchSize, SampleSummary Explicit, SampleSummary Fused)
{
    public double ExplicitMs => Explicit.Median;
    public double FusedMs => Fused.Median;
    public double Speedup => ExplicitMs / FusedMs;
}

/// <summary>Fused (SDPA) vs explicit (matmul, softmax, matmul) attention, alone and inside the whole encoder, timed
/// interleaved (explicit, fused, explicit, fused …).</summary>
public static class AttentionBenchmark
{
    public static IReadOnlyList<AttentionTiming> Run(TrainingBenchmarkOptions o)
    {
        var timings = new List<AttentionTiming>();
        foreach (var t in o.AttentionLengths)
        {
            timings.Add(TimeAttentionOp(o, t));
            timings.Add(TimeEncoder(o, t));
        }
        return timings;
    }

    /// <summary>One attention op, [B, heads, T, head_dim], forward + backward.</summary>
    static AttentionTiming TimeAttentionOp(TrainingBenchmarkOptions o, int t)
    {
        int b = Math.Max(1, o.AttentionTokens / t), heads = o.Model.NumAttentionHeads, d = o.Model.HeadDim;
        var gen = new Generator(1);
        var q = torch.randn([b, heads, t, d], generator: gen).requires_grad_();
        var k = torch.randn([b, heads, t, d], generator: gen).requires_grad_();
        var v = torch.randn([b, heads, t, d], generator: gen).requires_grad_();
        Func<double> Timed(Func<Tensor> f) => () => TimeMs(() =>
        {
            f().sum().backward();
            q.grad?.zero_(); k.grad?.zero_(); v.grad?.zero_();
        });
        var samples = Interleaving.Run([Timed(() => ScaledDotProductAttention.Explicit(q, k, v).Output), Timed(() => ScaledDotProductAttention.Fused(q, k, v))],
            warmupRounds: 1, rounds: o.AttentionRepeats);
        return new AttentionTiming("attention op", t, b, SampleSummary.Of(samples[0]), SampleSummary.Of(samples[1]));
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
        Func<double> Timed(AttentionImplementation impl) => () =>
        {
            config.AttentionImplementation = impl;
            return TimeMs(() =>
            {
                model.forward(ids, null, null).LastHiddenState.square().mean().backward();
                model.zero_grad();
            });
        };
        var samples = Interleaving.Run([Timed(AttentionImplementation.Eager), Timed(AttentionImplementation.Sdpa)], warmupRounds: 1, rounds: o.AttentionRepeats);
        return new AttentionTiming("whole encoder", t, b, SampleSummary.Of(samples[0]), SampleSummary.Of(samples[1]));
    }

    static double TimeMs(Action body)
    {
        using var scope = torch.NewDisposeScope();
        var clock = Stopwatch.StartNew();
        body();
        return clock.Elapsed.TotalMilliseconds;
    }
}
