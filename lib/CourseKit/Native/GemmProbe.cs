using System.Diagnostics;
using TorchSharp;

namespace CourseKit.Native;

/// <summary>Measures the fp32 matrix-multiply throughput of this machine: the peak that model FLOP utilisation is read against.</summary>
public static class GemmProbe
{
    /// <summary>Best of <paramref name="repeats"/> timed n×n×n fp32 matmuls, in GFLOP/s (2n³ FLOPs each).</summary>
    public static double MeasureGflops(int n = 1024, int repeats = 5, torch.Device? device = null)
    {
        device ??= torch.CPU;
        using var scope = torch.NewDisposeScope();
        var gen = new torch.Generator(0, device);
        var a = torch.rand(new long[] { n, n }, generator: gen, device: device);
        var b = torch.rand(new long[] { n, n }, generator: gen, device: device);
        a.matmul(b); // warm-up: thread pool, allocator
        Sync(device);
        double best = double.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            using var inner = torch.NewDisposeScope();
            var sw = Stopwatch.StartNew();
            a.matmul(b);
            Sync(device);
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return 2.0 * n * n * n / best / 1e9;
    }

    static void Sync(torch.Device device)
    {
        if (device.type == DeviceType.CUDA) torch.cuda.synchronize(device);
    }
}
