using CourseKit.Native;
using TorchSharp;

namespace CourseKit.Tests.Native;

[KeepTensorsAlive]
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
        Assert.True(report.Patched, report.Note); // the test host keeps scalars (TestHostSetup), so a copy is always patched; relaxed only where needed
        var original = ElfVersionNeeds.Read(Path.Combine(Path.GetDirectoryName(report.LibTorchSharpPath!)!, "libLibTorchSharp.so"));
        var lacking = original.Needs.Where(n => n.File.StartsWith("libstdc++") && !n.Weak && !defined.Contains(n.Version)).Select(n => n.Version);
        Assert.Equal(lacking.Order(), report.RelaxedVersions.Order()); // Debian 12 here: GLIBCXX_3.4.32; a newer host: none
        var patched = ElfVersionNeeds.Read(report.LibTorchSharpPath!);
        foreach (var need in patched.Needs.Where(n => n.File.StartsWith("libstdc++")))
            Assert.Equal(!defined.Contains(need.Version), need.Weak);
    }

    [Fact]
    public void The_loaded_copy_never_frees_a_scalar_and_the_original_is_untouched()
    {
        var report = TorchRuntime.Initialize();
        if (!OperatingSystem.IsLinux()) return;
        Assert.True(report.Patched, report.Note);
        // The test host keeps scalars (TestHostSetup): its reporting threads allocate while tests run native calls.
        Assert.Equal([TorchRuntime.ScalarDisposal], report.Disabled);
        var patched = ElfVersionNeeds.Read(report.LibTorchSharpPath!);
        Assert.Equal(0xc3, patched.ByteAt(patched.ReturnOffset(TorchRuntime.ScalarDisposal)));
        var original = ElfVersionNeeds.Read(Path.Combine(Path.GetDirectoryName(report.LibTorchSharpPath!)!, "libLibTorchSharp.so"));
        Assert.NotEqual(0xc3, original.ByteAt(original.ReturnOffset(TorchRuntime.ScalarDisposal)));
    }

    [Fact]
    public void Scalars_made_from_numbers_survive_a_collection_during_the_call()
    {
        // TorchSharp 0.107 as shipped: the Scalars behind t.add_(1.0, alpha: 0.5) are dead once their handles are read,
        // so a collection on another thread lets the finalizer free them mid-call (about 1 call in 2,000 failed with
        // "Expected false to be true" from c10's Scalar.h, or crashed, with collections running back to back).
        TorchRuntime.Initialize();
        using var t = torch.zeros(4);
        bool stop = false;
        var collector = new Thread(() => { while (!Volatile.Read(ref stop)) { GC.Collect(); GC.WaitForPendingFinalizers(); } }) { IsBackground = true };
        collector.Start();
        int calls = 0, errors = 0;
        string? first = null;
        try
        {
            for (; calls < 300_000; calls++)
            {
                try { t.add_(1.0, alpha: 0.5); }
                catch (Exception e) { errors++; first ??= e.Message.Split('\n')[0]; }
            }
        }
        finally { Volatile.Write(ref stop, true); collector.Join(); }
        Assert.True(errors == 0, $"{errors} of {calls} calls failed; first: {first}");
        Assert.Equal(150_000f, t[0].item<float>());
    }
}
