using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using TorchSharp;

namespace CourseKit.Native;

/// <summary>One line of the environment check: what was looked at, what was found, and whether it is fine.</summary>
public sealed record DoctorCheck(string Section, string Item, string Value, DoctorStatus Status = DoctorStatus.Ok);

public enum DoctorStatus { Ok, Warning, Error }

/// <summary>The environment check a workshop starts with (`course doctor`, notebook 00-setup).</summary>
public sealed class DoctorReport
{
    public List<DoctorCheck> Checks { get; } = new();
    public bool HasErrors => Checks.Any(c => c.Status == DoctorStatus.Error);

    public void Add(string section, string item, string value, DoctorStatus status = DoctorStatus.Ok) =>
        Checks.Add(new DoctorCheck(section, item, value, status));

    public override string ToString()
    {
        var sb = new StringBuilder();
        int width = Checks.Count == 0 ? 10 : Checks.Max(c => c.Item.Length) + 2;
        foreach (var section in Checks.GroupBy(c => c.Section))
        {
            sb.AppendLine(section.Key);
            foreach (var c in section)
            {
                var mark = c.Status switch { DoctorStatus.Ok => "  ", DoctorStatus.Warning => "! ", _ => "x " };
                sb.Append("  ").Append(mark).Append(c.Item.PadRight(width)).AppendLine(c.Value);
            }
        }
        return sb.ToString();
    }
}

public static class Doctor
{
    /// <summary>Runs every check. <paramref name="extraSections"/> lets hosts add their own (the data cache, say).</summary>
    public static DoctorReport Run(bool measureGemm = true, params Action<DoctorReport>[] extraSections)
    {
        var report = new DoctorReport();
        AddDotNet(report);
        AddTorch(report, measureGemm);
        foreach (var section in extraSections) section(report);
        return report;
    }

    static void AddDotNet(DoctorReport r)
    {
        r.Add(".NET", "runtime", $"{RuntimeInformation.FrameworkDescription} ({RuntimeInformation.RuntimeIdentifier})");
        var sdk = DotnetSdkVersion();
        r.Add(".NET", "sdk", sdk ?? "not found (only needed to build)", sdk is null ? DoctorStatus.Warning : DoctorStatus.Ok);
        r.Add(".NET", "os", $"{RuntimeInformation.OSDescription}, {Environment.ProcessorCount} logical cores");
    }

    static void AddTorch(DoctorReport r, bool measureGemm)
    {
        TorchLoadReport load;
        try { load = TorchRuntime.Initialize(); }
        catch (Exception ex)
        {
            r.Add("TorchSharp", "native backend", $"FAILED to load: {ex.GetBaseException().Message.Split('\n')[0]}", DoctorStatus.Error);
            return;
        }
        var torchSharp = typeof(torch).Assembly;
        var informational = torchSharp.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0];
        r.Add("TorchSharp", "TorchSharp", informational ?? torchSharp.GetName().Version?.ToString() ?? "?");
        r.Add("TorchSharp", "libtorch", torch.__version__);
        r.Add("TorchSharp", "native library", load.LibTorchSharpPath ?? "found by TorchSharp's probing");
        r.Add("TorchSharp", "libstdc++", $"{load.HostLibStdCxx ?? "?"} (newest {load.HostMaxGlibcxx ?? "?"})");
        r.Add("TorchSharp", "compatibility", load.Patched ? load.Note : "none needed", load.Patched ? DoctorStatus.Warning : DoctorStatus.Ok);
        r.Add("TorchSharp", "C allocator", MallocTuning.State);
        bool cuda = torch.cuda.is_available();
        r.Add("Device", "backend", cuda ? "cuda" : "cpu");
        r.Add("Device", "CUDA available", cuda ? $"yes, {torch.cuda.device_count()} device(s): {NvidiaDeviceNames() ?? "name unknown"}" : "no");
        r.Add("Device", "torch threads", torch.get_num_threads().ToString());
        if (measureGemm)
        {
            var cpu = GemmProbe.SustainedGflops(1024, 1024, 1024, seconds: 2.0);
            r.Add("Device", "fp32 GEMM (cpu)", $"{cpu.Max():F1} GFLOP/s (1024³ matmuls for 2 s, best 0.25 s window; min / median / max {CourseKit.Benchmarks.SampleSummary.Of(cpu).Format()}; course bench train measures longer)");
            if (cuda) r.Add("Device", "fp32 GEMM (cuda)", $"{GemmProbe.MeasureGflops(4096, 2.0, torch.CUDA):F1} GFLOP/s (4096x4096)");
        }
    }

    static string? DotnetSdkVersion() => RunTool("dotnet", "--version");

    static string? NvidiaDeviceNames() => RunTool("nvidia-smi", "--query-gpu=name --format=csv,noheader")?.Replace('\n', ';');

    static string? RunTool(string file, string args)
    {
        try
        {
            var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var p = Process.Start(psi);
            if (p is null) return null;
            var output = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit(10_000);
            return p.ExitCode == 0 && output.Length > 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }
}
