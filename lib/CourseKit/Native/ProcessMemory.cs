using System.Diagnostics;
using System.Runtime.InteropServices;

namespace CourseKit.Native;

/// <summary>
/// The process's memory, as a run reports it: the resident set now, and its peak. On Linux the kernel's resident-set
/// high-water mark (VmHWM in /proc/self/status) is reset at the start of a run by writing "5" to /proc/self/clear_refs,
/// so the peak covers that run only: managed heap, TorchSharp/libtorch native tensors and code alike (CPU RAM; GPU
/// memory is not included). Elsewhere, or when the reset is refused, it is the process's peak working set since it
/// started (an upper bound for the run). The reset sets the mark to the current resident set, so memory still held from
/// before the run (the previous run of a sweep, loaded assemblies) is included: compare runs of one sweep with that in mind.
/// </summary>
public static class ProcessMemory
{
    public const string SinceRunStart = "peak resident set (VmHWM) since run start";
    public const string SinceProcessStart = "peak working set since process start";

    /// <summary>Collects the tensors earlier runs dropped (unless <paramref name="collectFirst"/> is false: the caller
    /// has just called <see cref="ReleaseDropped"/>), then resets the peak; returns what <see cref="PeakBytes"/> will
    /// then measure.</summary>
    public static string ResetPeak(bool collectFirst = true)
    {
        if (collectFirst) CollectDropped();
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

    /// <summary>Tensors that were only dropped, not disposed, are freed by their finalizers: collect them, then hand the
    /// C heap's free pages back to the system (glibc <c>malloc_trim</c>), so the next run does not start from this
    /// one's high water and the resident set says what is still held. Not trimmed where <see cref="MallocTuning.HoldOff"/>
    /// was called (the test host): returning freed pages turns a latent use-after-free of TorchSharp's finalizer race
    /// into a crash there, as the training allocator setting did.</summary>
    public static void ReleaseDropped()
    {
        CollectDropped();
        if (!MallocTuning.HeldOff) TrimCHeap();
    }

    static void CollectDropped()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    public static long PeakBytes() => StatusBytes("VmHWM:") ?? Current(p => p.PeakWorkingSet64);

    public static long ResidentBytes() => StatusBytes("VmRSS:") ?? Current(p => p.WorkingSet64);

    /// <summary>The resident set after the tensors and objects already dropped are collected, so a managed heap or
    /// finalizer queue that happens to be large at the moment of reading does not count.</summary>
    public static long ResidentAfterCollect()
    {
        CollectDropped();
        return ResidentBytes();
    }

    static long? StatusBytes(string field)
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/self/status")) return null;
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field, StringComparison.Ordinal) && long.TryParse(line[field.Length..].Replace("kB", "").Trim(), out var kb))
                return kb * 1024;
        return null;
    }

    static long Current(Func<Process, long> read) { using var p = Process.GetCurrentProcess(); return read(p); }

    static unsafe void TrimCHeap()
    {
        if (OperatingSystem.IsLinux() && NativeLibrary.TryLoad("libc.so.6", out var libc) && NativeLibrary.TryGetExport(libc, "malloc_trim", out var trim))
            ((delegate* unmanaged<nuint, int>)trim)(0);
    }
}
