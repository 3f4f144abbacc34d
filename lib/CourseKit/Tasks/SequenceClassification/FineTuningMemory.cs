using System.Diagnostics;

namespace CourseKit.Tasks.SequenceClassification;

/// <summary>
/// Peak memory of a run. On Linux the kernel's resident-set high-water mark (VmHWM in /proc/self/status) is reset at
/// the start of the run by writing "5" to /proc/self/clear_refs, so the peak covers this run only: managed heap,
/// TorchSharp/libtorch native tensors and code alike (CPU RAM; GPU memory is not included). Elsewhere, or when the
/// reset is refused, it is the process's peak working set since it started (an upper bound for the run). The reset
/// sets the mark to the current resident set, so memory still held from before the run (e.g. the previous run of a
/// sweep, loaded assemblies) is included: compare runs of one sweep with that in mind.
/// </summary>
public static class FineTuningMemory
{
    public const string SinceRunStart = "peak resident set (VmHWM) since run start";
    public const string SinceProcessStart = "peak working set since process start";

    /// <summary>Resets the peak; returns what <see cref="PeakBytes"/> will then measure.</summary>
    public static string ResetPeak()
    {
        // Tensors of an earlier run in this process that were only dropped, not disposed, are freed by their finalizers:
        // collect them first so a sweep's later runs do not start from the earlier run's high water.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        try
        {
            if (OperatingSystem.IsLinux() && File.Exists("/proc/self/clear_refs"))
            {
                File.WriteAllText("/proc/self/clear_refs", "5");
                return SinceRunStart;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return SinceProcessStart;
    }

    public static long PeakBytes()
    {
        if (OperatingSystem.IsLinux() && File.Exists("/proc/self/status"))
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal) &&
                    long.TryParse(line["VmHWM:".Length..].Replace("kB", "").Trim(), out var kb))
                    return kb * 1024;
        using var p = Process.GetCurrentProcess();
        return p.PeakWorkingSet64;
    }
}
