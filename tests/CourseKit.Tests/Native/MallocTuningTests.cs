using System.Diagnostics;
using CourseKit.Native;

namespace CourseKit.Tests.Native;

/// <summary>Starting TorchSharp leaves the C allocator alone (the test host's parallel tests crashed with the mmap
/// threshold held), and a threshold set in the environment is what a process reports. In child processes: the verbs
/// that hold the threshold (qa train, qa fit) also run inside this test host.</summary>
[KeepTensorsAlive]
public sealed class MallocTuningTests
{
    static string Doctor(string? threshold, string? trim = null) =>
        Course(["doctor", "--no-gemm"], threshold, trim).Split('\n').Single(l => l.Contains("C allocator"));

    static string Course(string[] args, string? threshold = null, string? trim = null)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "course.dll");
        var psi = new ProcessStartInfo("dotnet", [cli, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment.Remove("MALLOC_MMAP_THRESHOLD_");
        psi.Environment.Remove("MALLOC_TRIM_THRESHOLD_");
        if (threshold is not null) psi.Environment["MALLOC_MMAP_THRESHOLD_"] = threshold;
        if (trim is not null) psi.Environment["MALLOC_TRIM_THRESHOLD_"] = trim;
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output;
    }

    [Fact]
    public void The_test_host_holds_the_allocator_off_and_a_later_setting_does_not_replace_that()
    {
        Assert.True(MallocTuning.HeldOff);                                   // TestHostSetup's module initializer
        Assert.StartsWith("glibc default, held off: the test host", MallocTuning.State);
        MallocTuning.HoldOff("a second reason");
        Assert.DoesNotContain("a second reason", MallocTuning.State);
    }

    [Fact]
    public void Doctor_starts_torch_without_touching_the_allocator_and_reports_a_threshold_from_the_environment()
    {
        Assert.Contains("glibc default", Doctor(null));
        Assert.Contains("MALLOC_MMAP_THRESHOLD_=65536", Doctor("65536"));
        Assert.Contains("MALLOC_MMAP_THRESHOLD_=33554432, MALLOC_TRIM_THRESHOLD_=268435456", Doctor("33554432", "268435456"));
    }

    [Fact]
    public void Course_run_keeps_activations_in_the_heap_unless_the_environment_says_otherwise()
    {
        var dir = TestPaths.NewTempDir("coursekit-malloc-run");
        var kit = Path.GetRelativePath(dir, TestPaths.InRepo("artifacts", "kit", "CourseKit.dll"));
        var notebook = Notebooks.NotebookFixtures.Save(dir, "allocator",
            Notebooks.NotebookFixtures.Code($"#r \"{kit}\"\nConsole.WriteLine(\"allocator: \" + CourseKit.Native.MallocTuning.State);"));
        string Allocator(string? threshold)
        {
            var output = Course(["run", notebook, "--out", Path.Combine(dir, "out")], threshold);
            var executed = File.ReadAllText(Path.Combine(dir, "out", "allocator.ipynb"));
            Assert.True(executed.Contains("allocator: "), output);
            return System.Text.Json.Nodes.JsonNode.Parse(executed)!["cells"]![0]!["outputs"]!.ToJsonString();
        }
        Assert.Contains("mmap threshold 33554432 bytes, trim threshold 268435456 bytes (chapters", Allocator(null));
        Assert.Contains("MALLOC_MMAP_THRESHOLD_=65536", Allocator("65536"));
    }
}
