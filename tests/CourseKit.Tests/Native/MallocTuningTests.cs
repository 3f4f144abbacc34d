using CourseKit.Native;

namespace CourseKit.Tests.Native;

/// <summary>On glibc the runtime holds the mmap threshold (so freed tensors go back to the system), unless the user set it.</summary>
public sealed class MallocTuningTests
{
    [Fact]
    public void Initialize_holds_the_glibc_mmap_threshold_or_says_why_not()
    {
        TorchRuntime.Initialize();
        var state = MallocTuning.State;
        if (Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is { } set)
            Assert.Equal($"left to MALLOC_MMAP_THRESHOLD_={set}", state);
        else if (OperatingSystem.IsLinux() && File.Exists("/lib/x86_64-linux-gnu/libc.so.6"))
            Assert.Equal($"mmap threshold {MallocTuning.MmapThresholdBytes} bytes", state);   // this machine and CI: Debian, glibc
        else
            Assert.False(string.IsNullOrEmpty(state));
        Assert.Same(state, MallocTuning.Ensure());                               // applied once per process
    }
}
