using System.Diagnostics;
using CourseKit.Native;

namespace CourseKit.Tests.Native;

/// <summary>Initialising TorchSharp leaves the C allocator alone (the test host's parallel tests crashed with the mmap
/// threshold held); a threshold set in the environment is what a process reports.</summary>
public sealed class MallocTuningTests
{
    [Fact]
    public void Initialize_leaves_the_allocator_alone()
    {
        TorchRuntime.Initialize();
        if (Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is null)
            Assert.StartsWith("glibc default", MallocTuning.State);
    }

    [Fact]
    public void Doctor_reports_a_threshold_set_in_the_environment()
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "course.dll");
        var psi = new ProcessStartInfo("dotnet", [cli, "doctor", "--no-gemm"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["MALLOC_MMAP_THRESHOLD_"] = "65536";
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Contains("C allocator", output);
        Assert.Contains("MALLOC_MMAP_THRESHOLD_=65536", output);
    }
}
