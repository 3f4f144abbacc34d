using System.Runtime.CompilerServices;
using CourseKit.Native;

namespace CourseKit.Tests;

static class TestHostSetup
{
    /// <summary>
    /// The test host's own threads (xunit's message bus, the VSTest channel) allocate while tests sit in native calls,
    /// which is when TorchSharp 0.107's scalar finalizer race strikes (one failed AdamW step or a crash every few suite
    /// runs, measured). Tests are short, so the host keeps native scalars instead (TorchRuntime, 49 bytes each).
    /// </summary>
    [ModuleInitializer]
    internal static void KeepScalars() => Environment.SetEnvironmentVariable(TorchRuntime.KeepScalarsVariable, "1");

    /// <summary>The serving verbs hold glibc's mmap threshold; run in-process by their tests, that would switch it on for
    /// the whole host, whose collector-storm tests then crash it (freed blocks are unmapped at once). CI crashed so.
    /// `course run`'s setting (activations kept in the heap) is no better here: the whole suite ran 12 min 49 s against
    /// 11 min 44 s, its collector-storm test (TorchRuntimeTests) 208 s against 18 s.</summary>
    [ModuleInitializer]
    internal static void KeepGlibcDefaults() => MallocTuning.HoldOff("the test host runs the verbs in-process");
}
