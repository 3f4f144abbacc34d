using System.Diagnostics;
using TorchSharp;

namespace CourseKit.Native;

/// <summary>
/// Measures the matrix-multiply throughput of this machine: the peak that model FLOP utilisation is read against.
/// It multiplies for a sustained time (seconds, not a handful of 20 ms calls) and reports the rate of each window:
/// on a shared virtual machine one short burst says more about the neighbours than about the CPU.
/// </summary>
public static class GemmProbe
{
    /// <summary>GFLOP/s (2·m·k·n per call) of each window of at least <paramref name="windowSeconds"/> while
    /// [m, k] × [k, n] matmuls run for about <paramref name="seconds"/>, after one untimed warm-up call.</summary>
    public static IReadOnlyList<double> SustainedGflops(int m, int k, int n, double seconds, double windowSeconds = 0.25,
        torch.Device? device = null, torch.ScalarType dtype = torch.ScalarType.Float32)
    {
        device ??= torch.CPU;
        using var scope = torch.NewDisposeScope();
        var gen = new torch.Generator(0, device);
        var a = torch.rand(new long[] { m, k }, generator: gen, device: device).to(dtype);
        var b = torch.rand(new long[] { k, n }, generator: gen, device: device).to(dtype);
        a.matmul(b).Dispose();   // warm-up: thread pool, allocator, kernel selection
        Sync(device);
        var rates = new List<double>();
        var total = Stopwatch.StartNew();
        do
        {
            var window = Stopwatch.StartNew();
            int calls = 0;
            do
            {
                a.matmul(b).Dispose();
                calls++;
                if (calls % 4 == 0) Sync(device);
            } while (window.Elapsed.TotalSeconds < windowSeconds);
            Sync(device);
            rates.Add(2.0 * m * k * n * calls / window.Elapsed.TotalSeconds / 1e9);
        } while (total.Elapsed.TotalSeconds < seconds);
        return rates;
    }

    /// <summary>The best window of n×n×n matmuls over <paramref name="seconds"/>, in GFLOP/s.</summary>
    public static double MeasureGflops(int n = 1024, double seconds = 1.0, torch.Device? device = null) =>
        SustainedGflops(n, n, n, seconds, device: device).Max();

    static void Sync(torch.Device device)
    {
        if (device.type == DeviceType.CUDA) torch.cuda.synchronize(device);
    }
}
