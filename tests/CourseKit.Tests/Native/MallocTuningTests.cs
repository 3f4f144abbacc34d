using System.Diagnostics;

namespace CourseKit.Tests.Native;

/// <summary>Starting TorchSharp leaves the C allocator alone (the test host's parallel tests crashed with the mmap
/// threshold held), and a threshold set in the environment is what a process reports. In child processes: the verbs
/// that hold the threshold (qa train, qa fit) also run inside this test host.</summary>
public sealed class MallocTuningTests
{
    static string Doctor(string? threshold, string? trim = null)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "course.dll");
        var psi = new ProcessStartInfo("dotnet", [cli, "doctor", "--no-gemm"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment.Remove("MALLOC_MMAP_THRESHOLD_");
        psi.Environment.Remove("MALLOC_TRIM_THRESHOLD_");
        if (threshold is not null) psi.Environment["MALLOC_MMAP_THRESHOLD_"] = threshold;
        if (trim is not null) psi.Environment["MALLOC_TRIM_THRESHOLD_"] = trim;
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output.Split('\n').Single(l => l.Contains("C allocator"));
    }

    [Fact]
    public void Doctor_starts_torch_without_touching_the_allocator_and_reports_a_threshold_from_the_environment()
    {
        Assert.Contains("glibc default", Doctor(null));
        Assert.Contains("MALLOC_MMAP_THRESHOLD_=65536", Doctor("65536"));
        Assert.Contains("MALLOC_MMAP_THRESHOLD_=33554432, MALLOC_TRIM_THRESHOLD_=268435456", Doctor("33554432", "268435456"));
    }
}
