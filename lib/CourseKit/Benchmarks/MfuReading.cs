using System.Text.Json.Nodes;

namespace CourseKit.Benchmarks;

/// <summary>
/// Model FLOP utilisation read against a measured peak (Chowdhery et al. 2022, PaLM App. B), with the one check a
/// ratio of two measurements needs: a model cannot do its arithmetic faster than the machine's matmul peak, so a
/// reading above 100 % means the probe missed the peak (a neighbour slowed it, or the CPU boosted during the steps),
/// and the bench says so instead of printing a wrong number.
/// </summary>
public sealed record MfuReading(SampleSummary AchievedGflops, double PeakGflops)
{
    /// <summary>MFU of the slowest, median and fastest step (achieved ÷ peak).</summary>
    public SampleSummary Mfu => AchievedGflops.Scale(1 / PeakGflops);

    /// <summary>False when even one step's achieved rate exceeds the peak: the peak is then not a peak.</summary>
    public bool Reliable => PeakGflops > 0 && AchievedGflops.Max <= PeakGflops;

    public string? Warning => Reliable ? null
        : $"a training step ran at {AchievedGflops.Max:F1} model GFLOP/s, above the highest probed matmul peak {PeakGflops:F1} GFLOP/s: " +
          "the peak probe is unreliable on this machine now (load changed during the run?), so no MFU is reported";

    /// <summary>"MFU 41.2 % (min / median / max 38.0 / 41.2 / 43.1 %)", or the warning.</summary>
    public string Format() => !Reliable ? $"MFU not reported: {Warning}"
        : Mfu.Count == 1 ? $"MFU {Mfu.Median:P1}"
        : $"MFU {Mfu.Median:P1} (min / median / max {Mfu.Min * 100:F1} / {Mfu.Median * 100:F1} / {Mfu.Max * 100:F1} %)";

    public JsonObject ToJson() => new()
    {
        ["reliable"] = Reliable,
        ["peak_gflops"] = Math.Round(PeakGflops, 2),
        ["achieved_gflops"] = AchievedGflops.ToJson(3),
        ["mfu"] = Reliable ? Mfu.ToJson(4) : null,
        ["warning"] = Warning,
    };
}
