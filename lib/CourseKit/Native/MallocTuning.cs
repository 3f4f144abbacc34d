using System.Runtime.InteropServices;

namespace CourseKit.Native;

/// <summary>What a process does with its activations, and so how glibc should hand out their memory.</summary>
public enum AllocatorUse
{
    /// <summary>Long training with shapes that keep changing: large blocks from mmap, returned when freed (memory flat).</summary>
    Training,
    /// <summary>Forward passes in a loop (a service, a benchmark): activations stay in the heap and are reused.</summary>
    Inference,
    /// <summary>A chapter run (<c>course run</c>, a chapter app): short trainings and evaluations one after another in
    /// one process; the same setting as <see cref="Inference"/>.</summary>
    Chapters,
}

/// <summary>
/// glibc's allocator settings for the kit's long CPU runs. libtorch allocates tensors with the C allocator; glibc serves
/// a block above its mmap threshold from mmap (returned to the system when freed) and the rest from its heaps, whose
/// free top is given back above the trim threshold. By default both thresholds move: every freed mmap block raises
/// them (up to 32 MB). Setting either one (<c>mallopt</c>, or <c>MALLOC_MMAP_THRESHOLD_</c> / <c>MALLOC_TRIM_THRESHOLD_</c>
/// in the environment) switches that off; a setting found in the environment is left alone.
/// <para><b>Training</b> (<c>qa train</c>, <c>qa fit</c>): mmap threshold 128 KiB. With batches of varying length (QA
/// windows) the heap's freed holes do not fit the next shapes: a QA reader grew to 10 GB resident in 10 epochs and was
/// killed by the kernel, where with the threshold held it stayed between 1 and 3.6 GB, about 10 % faster (455 against
/// 410 tokens/s, two 1-thread runs side by side on 2 cores).</para>
/// <para><b>Inference</b> (<c>serve</c>, <c>bench serve</c>, <c>bench infer</c>, <c>monitor run</c>): mmap threshold 32 MiB and trim
/// threshold 256 MiB, so every forward reuses the heap pages the last one freed instead of having them mapped and
/// faulted in again. On this 2-core VM a page fault costs more than the arithmetic at serving sizes. Measured on an
/// idle machine, all-MiniLM-L6-v2, 2 threads, the kit's packed backend on 32 of the load test's sentences, one forward
/// against one forward per sentence: 115 against 142 ms with glibc's moving thresholds, 77 against 150 ms with these
/// settings; <c>bench serve</c> (embed, 32 clients) batching 1.48× → 2.49×, 212 → 366 requests/s, memory flat
/// (596 MB after 300 and after 1,500 requests). The 128 KiB threshold is much worse here: <c>bench infer</c> at
/// 32 × 32, packed, 1,913 tokens/s against 14,640 at 32 MiB (ONNX Runtime, with its own arena, 13,289 and 13,328), and
/// batching in <c>bench serve</c> 0.80×. The price is resident memory: the freed activations of the largest batch seen
/// stay in the process (<c>bench infer</c>, after warming three backends up at 32 × 128: 1,001 MB at 128 KiB, 2,014 MB
/// at 32 MiB). <c>monitor run</c> on 5,000 rows, 1 thread beside another job, twice each: 22 and 28 rows/s with glibc's
/// moving thresholds, 26 and 30 with these; peak resident 2.73–2.74 against 2.65–2.68 GB.</para>
/// <para><b>Chapters</b> (<c>course run</c>, the chapter apps): as Inference. glibc's moving thresholds already serve
/// blocks up to the largest one freed from the heap; what the setting removes is the trimming and faulting-in of the
/// heap's top between steps. Chapter 10's quick profile (a teacher and two students fine-tuned, then benchmarked), idle
/// machine, 2 threads: 148 s against 185 s, system time 51 against 79 s, peak resident 3.08 against 3.09 GB, the same
/// accuracies. Not in the test host, whose 300,000-call collector storm took 208 s with it against 18 s.</para>
/// <para>Nothing is done when TorchSharp is initialised in general. With the training setting freed blocks are unmapped
/// at once, so a use-after-free that used to read stale memory faults instead: the test host, whose parallel tests
/// include a collector storm against TorchSharp's finalizer race, crashed with it (<see cref="HoldOff"/>).</para>
/// </summary>
public static class MallocTuning
{
    public const int TrainingMmapThresholdBytes = 128 * 1024;
    public const int InferenceMmapThresholdBytes = 32 * 1024 * 1024, InferenceTrimThresholdBytes = 256 * 1024 * 1024;
    const int M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3;                  // glibc malloc.h
    const string MmapVariable = "MALLOC_MMAP_THRESHOLD_", TrimVariable = "MALLOC_TRIM_THRESHOLD_";
    static readonly object Gate = new();
    static string? _state;

    /// <summary>This process's allocator setting, without changing it: what <see cref="Ensure"/> did, the environment's
    /// thresholds, or glibc's default.</summary>
    public static string State
    {
        get
        {
            lock (Gate)
                return _state ?? (EnvironmentSetting() is { } set ? set
                    : $"glibc default (qa train/fit hold the mmap threshold at {TrainingMmapThresholdBytes} bytes; serve, the inference benchmarks and course run keep activations in the heap)");
        }
    }

    /// <summary>Applies the setting for <paramref name="use"/> (once per process: the first call wins); returns what was done.</summary>
    public static string Ensure(AllocatorUse use) { lock (Gate) return _state ??= Apply(use); }

    /// <summary>Makes <see cref="Ensure"/> a no-op in this process (unless it already ran): for a host that runs the
    /// verbs in-process and must keep glibc's default, such as the test host (see the remarks above).</summary>
    public static void HoldOff(string reason)
    {
        lock (Gate)
        {
            if (_state is not null) return;
            _state = "glibc default, held off: " + reason;
            _heldOff = true;
        }
    }

    /// <summary>True where <see cref="HoldOff"/> was called (and no setting was applied before it).</summary>
    public static bool HeldOff { get { lock (Gate) return _heldOff; } }
    static bool _heldOff;

    static string? EnvironmentSetting()
    {
        var set = new[] { MmapVariable, TrimVariable }.Where(v => Environment.GetEnvironmentVariable(v) is not null)
            .Select(v => $"{v}={Environment.GetEnvironmentVariable(v)}").ToArray();
        return set.Length == 0 ? null : string.Join(", ", set);
    }

    static unsafe string Apply(AllocatorUse use)
    {
        if (!OperatingSystem.IsLinux()) return "not Linux: nothing to do";
        if (EnvironmentSetting() is { } set) return $"left to {set}";
        if (!NativeLibrary.TryLoad("libc.so.6", out var libc) || !NativeLibrary.TryGetExport(libc, "mallopt", out var mallopt))
            return "no glibc mallopt: nothing to do";
        var call = (delegate* unmanaged<int, int, int>)mallopt;
        if (use == AllocatorUse.Training)
            return call(M_MMAP_THRESHOLD, TrainingMmapThresholdBytes) == 1
                ? $"mmap threshold {TrainingMmapThresholdBytes} bytes (training)"
                : "mallopt refused the mmap threshold";
        return call(M_MMAP_THRESHOLD, InferenceMmapThresholdBytes) == 1 && call(M_TRIM_THRESHOLD, InferenceTrimThresholdBytes) == 1
            ? $"mmap threshold {InferenceMmapThresholdBytes} bytes, trim threshold {InferenceTrimThresholdBytes} bytes ({use.ToString().ToLowerInvariant()}: activations stay in the heap)"
            : $"mallopt refused the mmap and trim thresholds ({use.ToString().ToLowerInvariant()})";
    }
}
