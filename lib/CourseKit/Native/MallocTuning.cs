using System.Runtime.InteropServices;

namespace CourseKit.Native;

/// <summary>
/// Keeps a long CPU run's memory flat under glibc. libtorch allocates tensors with the C allocator; glibc serves a
/// large block from mmap (returned to the system when freed) only above its mmap threshold, and raises that threshold
/// every time such a block is freed, up to 32 MB. After a few steps every activation tensor comes from the heap, and
/// with batches of varying length (QA windows, sentence batches) the freed holes do not fit the next shapes: a QA
/// reader measured here grew to 10 GB resident in 10 epochs and was killed by the kernel, where the same kind of run
/// with the threshold held at 128 KiB stayed between 1 and 3.6 GB over 10 epochs, about 10 % faster (455 against 410
/// tokens/s, two runs side by side on 2 cores). This is glibc's documented
/// <c>mallopt(M_MMAP_THRESHOLD)</c>, the same as starting the process with <c>MALLOC_MMAP_THRESHOLD_=131072</c>;
/// setting the threshold also switches the dynamic raising off. A threshold the user set in the environment is left
/// alone; on another C library (musl) or OS nothing is done.
/// <para>The long single-threaded training verbs hold it (<c>qa train</c>, <c>qa fit</c>). Inference does not: every
/// block above the threshold is then a fresh mmap, page-faulted in and unmapped again, and on this 2-core VM that cost
/// more than the forward itself at serving sizes. Measured on an idle machine, all-MiniLM-L6-v2, 2 threads, quick
/// profiles, threshold 128 KiB / 4 MiB / 32 MiB: <c>bench infer</c> at 32 × 32, the kit's fp32 encoder 1,642 / 2,540 /
/// 6,421 tokens/s and its packed one 1,913 / 3,345 / 14,640, with ONNX Runtime (its own arena) at 13,289 / 12,954 /
/// 13,328; <c>bench serve</c> (embed, 32 clients) spent 17.0 / 8.3 / 6.5 ms of model time per request with
/// micro-batching and 11 with one request per forward, so batching measured 0.80× / 2.16× / 1.58×. The price is
/// resident memory: in that <c>bench infer</c> run the three backends left 1,001 MB at 128 KiB and 2,014 MB at 32 MiB
/// (freed activations kept in glibc's heaps for the next batch); the service's memory stays flat either way. It is
/// not applied when TorchSharp is initialised in general. Freed blocks are then unmapped at once, so a use-after-free
/// that used to read stale memory faults instead: the test host, whose parallel tests include a collector storm against
/// TorchSharp's finalizer race, crashed with it. Other long training runs can start with
/// <c>MALLOC_MMAP_THRESHOLD_=131072</c>.</para>
/// </summary>
public static class MallocTuning
{
    public const int MmapThresholdBytes = 128 * 1024;
    const int M_MMAP_THRESHOLD = -3;                                  // glibc malloc.h
    const string EnvironmentVariable = "MALLOC_MMAP_THRESHOLD_";
    static readonly object Gate = new();
    static string? _state;

    /// <summary>This process's allocator setting, without changing it: what <see cref="Ensure"/> did, the environment's
    /// threshold, or glibc's default.</summary>
    public static string State
    {
        get
        {
            lock (Gate)
                return _state ?? (Environment.GetEnvironmentVariable(EnvironmentVariable) is { } set
                    ? $"{EnvironmentVariable}={set}"
                    : $"glibc default (qa train/fit hold the mmap threshold at {MmapThresholdBytes} bytes; for other long runs set {EnvironmentVariable}={MmapThresholdBytes})");
        }
    }

    /// <summary>Holds glibc's mmap threshold at <see cref="MmapThresholdBytes"/> (once per process); returns what was done.</summary>
    public static string Ensure() { lock (Gate) return _state ??= Apply(); }

    /// <summary>Makes <see cref="Ensure"/> a no-op in this process (unless it already ran): for a host that runs the
    /// verbs in-process and must keep glibc's default, such as the test host (see the remarks above).</summary>
    public static void HoldOff(string reason) { lock (Gate) _state ??= $"glibc default, held off: {reason}"; }

    static unsafe string Apply()
    {
        if (!OperatingSystem.IsLinux()) return "not Linux: nothing to do";
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { } set) return $"left to {EnvironmentVariable}={set}";
        if (!NativeLibrary.TryLoad("libc.so.6", out var libc) || !NativeLibrary.TryGetExport(libc, "mallopt", out var mallopt))
            return "no glibc mallopt: nothing to do";
        var call = (delegate* unmanaged<int, int, int>)mallopt;
        return call(M_MMAP_THRESHOLD, MmapThresholdBytes) == 1
            ? $"mmap threshold {MmapThresholdBytes} bytes"
            : "mallopt refused the mmap threshold";
    }
}
