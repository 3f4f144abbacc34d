using CourseKit.Native;
using TorchSharp;

namespace CourseKit.Tests.Native;

public class TorchRuntimeTests
{
    [Fact]
    public void Torch_loads_and_computes()
    {
        var report = TorchRuntime.Initialize();
        using var a = torch.arange(6, dtype: torch.float32).reshape(2, 3);
        using var b = a.matmul(a.T);
        Assert.Equal(new[] { 5f, 14f, 14f, 50f }, b.data<float>().ToArray());
        Assert.NotNull(report);
    }

    [Fact]
    public void Patched_library_relaxes_only_versions_the_host_lacks()
    {
        var report = TorchRuntime.Initialize();
        if (!OperatingSystem.IsLinux()) return;
        var host = TorchRuntime.HostLibStdCxxPath();
        Assert.NotNull(host);
        var defined = ElfVersionNeeds.DefinedVersions(host!).ToHashSet();
        Assert.Contains("GLIBCXX_3.4", defined);
        if (!report.Patched) return; // a new enough libstdc++: nothing to relax, and nothing was
        Assert.NotEmpty(report.RelaxedVersions);
        Assert.All(report.RelaxedVersions, v => Assert.DoesNotContain(v, defined));
        var patched = ElfVersionNeeds.Read(report.LibTorchSharpPath!);
        foreach (var need in patched.Needs.Where(n => n.File.StartsWith("libstdc++")))
            Assert.Equal(!defined.Contains(need.Version), need.Weak);
    }
}
