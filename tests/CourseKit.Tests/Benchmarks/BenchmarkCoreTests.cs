using CourseKit.Benchmarks;
using CourseKit.Models;
using CourseKit.Native;
using TorchSharp;

namespace CourseKit.Tests.Benchmarks;

[KeepTensorsAlive]
public class BenchmarkCoreTests
{
    [Fact]
    public void Summary_gives_min_median_max_of_fake_timings()
    {
        var s = SampleSummary.Of([0.30, 0.10, 0.50, 0.20]);
        Assert.Equal((4, 0.10, 0.25, 0.50), (s.Count, s.Min, s.Median, s.Max));
        Assert.Equal(0.275, s.Mean, 12);
        Assert.Equal(1.6, s.RelativeSpread, 12);   // (0.5 - 0.1) / 0.25
        Assert.Equal("0.10 / 0.25 / 0.50", s.Format("F2"));
        Assert.Equal(0.3, SampleSummary.Of([0.3, 0.1, 0.5]).Median, 12);
    }

    [Fact]
    public void Inverse_turns_seconds_per_step_into_tokens_per_second_with_min_and_max_swapped()
    {
        var perSecond = SampleSummary.Of([0.5, 1.0, 2.0]).Inverse(1000);
        Assert.Equal((500.0, 1000.0, 2000.0), (perSecond.Min, perSecond.Median, perSecond.Max));
    }

    [Fact]
    public void Summary_refuses_no_samples_and_non_finite_ones()
    {
        Assert.Throws<ArgumentException>(() => SampleSummary.Of([]));
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => SampleSummary.Of([1, double.NaN])).Message);
    }

    [Fact]
    public void Interleaving_calls_variants_a_b_a_b_never_a_then_b()
    {
        Assert.Equal([(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)], Interleaving.Order(3, 2).ToArray());
        var calls = new List<string>();
        int a = 0, b = 0;
        var samples = Interleaving.Run(
            [() => { calls.Add("A"); return ++a; }, () => { calls.Add("B"); return 10 * ++b; }],
            warmupRounds: 1, rounds: 3, betweenRounds: r => calls.Add($"probe{r}"));
        Assert.Equal("A B A B probe0 A B probe1 A B probe2", string.Join(" ", calls));
        Assert.Equal([2.0, 3, 4], samples[0]);     // the warm-up call's sample (1) is discarded
        Assert.Equal([20.0, 30, 40], samples[1]);
    }

    [Fact]
    public void An_mfu_over_100_percent_from_a_fake_probe_is_reported_as_unreliable_not_printed()
    {
        var achieved = SampleSummary.Of([40, 50, 60]);
        var unreliable = new MfuReading(achieved, PeakGflops: 55);
        Assert.False(unreliable.Reliable);
        Assert.Contains("unreliable", unreliable.Format());
        Assert.DoesNotContain("%", unreliable.Format());
        Assert.Null(unreliable.ToJson()["mfu"]);

        var reliable = new MfuReading(achieved, PeakGflops: 100);
        Assert.True(reliable.Reliable);
        Assert.Equal((0.4, 0.5, 0.6), (reliable.Mfu.Min, reliable.Mfu.Median, reliable.Mfu.Max));
        Assert.StartsWith("MFU 50.0", reliable.Format().Replace(',', '.'));
    }

    [Fact]
    public void Peak_probe_keeps_the_highest_window_of_every_sample()
    {
        TorchRuntime.Initialize();
        var probe = new PeakProbe([new GemmShape("tiny", 64, 64, 64), new GemmShape("wide", 32, 64, 128)], secondsPerShape: 0.05);
        probe.Sample("before");
        probe.Sample("after");
        Assert.Equal(2, probe.PerSample.Count);
        Assert.Equal(probe.Peak, probe.PerSample.Max, 12);
        Assert.Equal(probe.Peak, probe.PerShape.Values.Max(), 12);
        Assert.True(probe.Peak > 0);
        Assert.Equal(2, probe.ToJson()["samples"]!.GetValue<int>());
        var shapes = PeakProbe.ForBert(SmallBert.Config(), tokens: 2048);
        Assert.Contains(shapes, s => (s.M, s.K, s.N) == (2048, 256, 1024));
    }

    [Fact]
    public void Environment_names_cpu_versions_threads_and_load()
    {
        TorchRuntime.Initialize();
        var env = BenchEnvironment.Capture();
        foreach (var key in new[] { "cpu_model", "cpu_flags", "logical_processors", "torch_threads", "torchsharp", "libtorch", "dotnet", "load_average" })
            Assert.True(env.ContainsKey(key), key);
        Assert.Equal(Environment.ProcessorCount, env["logical_processors"]!.GetValue<int>());
        if (OperatingSystem.IsLinux()) Assert.Equal(3, env["load_average"]!.AsArray().Count);
    }

    [Fact]
    public void Training_bench_times_fp32_and_bf16_interleaved_and_reads_mfu_against_its_own_peak()
    {
        TorchRuntime.Initialize();
        var tiny = new BertConfig { VocabSize = 2000, HiddenSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 64, MaxPositionEmbeddings = 32 };
        var o = new TrainingBenchmarkOptions
        {
            Model = tiny, BatchSize = 2, SequenceLength = 16, WarmupSteps = 1, TimedSteps = 3, ProbeEvery = 2, ProbeSecondsPerShape = 0.02,
            AttentionLengths = [], ThreadCounts = [1],
        };
        var r = TrainingBenchmark.Run(o);
        Assert.Equal(["fp32, 1 thread", "bf16, 1 thread"], r.Variants.Select(v => v.Name));
        Assert.All(r.Variants, v => Assert.Equal(3, v.StepSeconds.Count));
        Assert.Equal(1.0, r.Variants[0].SpeedupVsFp32, 12);
        Assert.Equal(r.Peaks[1].Peak, r.Variants[0].Mfu.PeakGflops, 12);
        Assert.Equal(3, r.Peaks[1].PerSample.Count);   // before, after round 2, after the last round
        Assert.Equal(torch.ScalarType.BFloat16, r.Bf16Peaks[1].Dtype);
        Assert.Equal(r.Bf16Peaks[1].Peak, r.Variants[1].Mfu.PeakGflops, 12);   // a bf16 step is read against the bf16 peak
        Assert.Equal(r.Variants[1].Mfu.AchievedGflops.Median / r.Peaks[1].Peak, r.Variants[1].MfuOfFp32Peak, 9);
        var json = r.Json;
        Assert.Equal(2, json["variants"]!.AsArray().Count);
        Assert.NotNull(json["environment_before"]!["load_average"]);
        Assert.Equal(r.Variants[0].Mfu.Reliable, json["variants"]![0]!["mfu"]!["reliable"]!.GetValue<bool>());
    }
}
