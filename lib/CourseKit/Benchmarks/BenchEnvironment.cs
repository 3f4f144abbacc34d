using CourseKit.Native;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using TorchSharp;

namespace CourseKit.Benchmarks;

/// <summary>
/// What a benchmark figure depends on besides the code, written next to it: CPU model and the vector extensions the
/// kernels can use, threads, TorchSharp/libtorch/.NET versions, and the machine's load average at the time (a figure
/// from a loaded machine is not comparable with one from an idle machine).
/// </summary>
public static class BenchEnvironment
{
    /// <summary>The CPU flags that decide which matmul kernels run (fp32 FMA/AVX, bf16 and int8 dot products, AMX).</summary>
    public static readonly IReadOnlyList<string> RelevantFlags =
        ["avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni", "avx_vnni", "amx_bf16", "amx_int8", "amx_tile"];

    public static JsonObject Capture()
    {
        var (model, flags) = Cpu();
        var torchSharp = typeof(torch).Assembly;
        var load = LoadAverage();
        return new JsonObject
        {
            ["utc"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"),
            ["cpu_model"] = model,
            ["cpu_flags"] = new JsonArray(RelevantFlags.Where(flags.Contains).Select(f => (JsonNode)f).ToArray()),
            ["logical_processors"] = Environment.ProcessorCount,
            ["torch_threads"] = torch.get_num_threads(),
            ["c_allocator"] = MallocTuning.State,
            ["torchsharp"] = torchSharp.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0],
            ["libtorch"] = torch.__version__,
            ["dotnet"] = RuntimeInformation.FrameworkDescription,
            ["os"] = RuntimeInformation.OSDescription,
            ["load_average"] = load is { } l ? new JsonArray(l.One, l.Five, l.Fifteen) : null,
        };
    }

    /// <summary>The 1-, 5- and 15-minute load averages (Linux /proc/loadavg; null elsewhere).</summary>
    public static (double One, double Five, double Fifteen)? LoadAverage()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            var inv = System.Globalization.CultureInfo.InvariantCulture;
            return (double.Parse(parts[0], inv), double.Parse(parts[1], inv), double.Parse(parts[2], inv));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>"load 1.17 / 1.24 / 1.30 (1, 5, 15 min) on 2 logical processors", or "load unknown".</summary>
    public static string DescribeLoad() => LoadAverage() is { } l
        ? $"load {l.One:F2} / {l.Five:F2} / {l.Fifteen:F2} (1, 5, 15 min) on {Environment.ProcessorCount} logical processors"
        : "load unknown";

    static (string? Model, HashSet<string> Flags) Cpu()
    {
        try
        {
            var lines = File.ReadLines("/proc/cpuinfo").Take(64).ToList();
            string? Field(string name) => lines.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal))?.Split(':', 2)[1].Trim();
            return (Field("model name"), (Field("flags") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet());
        }
        catch (IOException) { return (RuntimeInformation.ProcessArchitecture.ToString(), []); }
    }
}
