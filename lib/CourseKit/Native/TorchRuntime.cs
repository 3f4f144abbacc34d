using System.Reflection;
using System.Runtime.InteropServices;
using TorchSharp;

namespace CourseKit.Native;

/// <summary>How TorchSharp's native library was loaded in this process.</summary>
public sealed record TorchLoadReport(
    string? LibTorchSharpPath,
    bool Patched,
    IReadOnlyList<string> RelaxedVersions,
    string? HostLibStdCxx,
    string? HostMaxGlibcxx,
    string Note)
{
    /// <summary>Native functions the loaded copy returns from at once (see <see cref="TorchRuntime.ScalarDisposal"/>).</summary>
    public IReadOnlyList<string> Disabled { get; init; } = Array.Empty<string>();
}

/// <summary>
/// Loads TorchSharp's native backend on Linux, from a patched copy of libLibTorchSharp.so where one of two problems of
/// TorchSharp 0.107.0 as shipped needs fixing (as shipped otherwise):
/// <list type="bullet">
/// <item>it asks for a newer libstdc++ (GLIBCXX_3.4.32) than Debian 12 and Ubuntu 22.04 have (3.4.30): requirements the
/// host lacks are marked weak where only symbols without relocations depend on them;</item>
/// <item>a <c>Scalar</c> made from a number (every <c>t.add_(1.0)</c>, and inside AdamW) is freed by its finalizer, which
/// may run while a native call still reads it, when another thread triggered the collection: the call then fails
/// ("Expected false to be true" from Scalar.h) or the process crashes in libtorch. With
/// <see cref="KeepScalarsVariable"/>=1 <see cref="ScalarDisposal"/> returns at once, so a native scalar is never freed
/// under a running call, at 49 bytes per scalar left behind (≈ 8 MB per small-BERT pretraining step: fine for tests
/// and short notebook sessions in busy multi-threaded hosts, not for hour-long runs, which keep the default).</item>
/// </list>
/// Call <see cref="Initialize"/> once before the first torch call: every entry point of the kit (CLI, runner, tests,
/// the first cell of every notebook) does. Elsewhere it changes nothing.
/// </summary>
public static class TorchRuntime
{
    const string LibName = "LibTorchSharp";
    const string FileName = "libLibTorchSharp.so";
    static readonly object Gate = new();
    static bool _resolverSet;
    static IntPtr _handle;
    static TorchLoadReport? _report;

    /// <summary>TorchSharp's native function that frees a Scalar (called by <c>Scalar.Dispose</c> and its finalizer).</summary>
    public const string ScalarDisposal = "THSTorch_dispose_scalar";

    /// <summary>Set to 1 (before the first torch call) to load a copy whose <see cref="ScalarDisposal"/> returns at once.</summary>
    public const string KeepScalarsVariable = "COURSEKIT_KEEP_SCALARS";

    /// <summary>The load report, once TorchSharp's native library has been asked for.</summary>
    public static TorchLoadReport? Report => _report;

    /// <summary>Loads the native backend (patching a copy first where the host libstdc++ is too old); returns what happened. Idempotent.</summary>
    public static TorchLoadReport Initialize()
    {
        lock (Gate)
        {
            if (!_resolverSet && OperatingSystem.IsLinux())
            {
                // TorchSharp probes with NativeLibrary.TryLoad(name, assembly), which tries full paths first and a
                // bare dlopen("libLibTorchSharp.so") last; glibc answers the bare name with an already loaded object
                // of that SONAME. Loading our copy first therefore makes TorchSharp's own probing find it.
                Resolve(LibName, typeof(torch).Assembly, null);
                try { NativeLibrary.SetDllImportResolver(typeof(torch).Assembly, Resolve); }
                catch (InvalidOperationException) { /* the host already installed a resolver: the SONAME match still holds */ }
            }
            _resolverSet = true;
        }
        // The CUDA backend (TorchSharp-cuda-linux, devcontainer) ships libtorch_cuda; ask for it only then, since
        // TorchSharp prints a long trace when asked for a backend that is not there.
        if (!(CudaBackendShipped() && torch.TryInitializeDeviceType(DeviceType.CUDA)))
            torch.InitializeDeviceType(DeviceType.CPU);
        return _report ??= new TorchLoadReport(null, false, Array.Empty<string>(), HostLibStdCxxPath(), HostMaxGlibcxx(),
            "loaded by TorchSharp's own probing");
    }

    static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != LibName) return IntPtr.Zero;
        lock (Gate)
        {
            if (_handle != IntPtr.Zero) return _handle;
            var original = FindOriginal();
            if (original is null) return IntPtr.Zero; // let TorchSharp's probing produce its own message
            try
            {
                _handle = LoadPatched(original);
                return _handle;
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                // No patched copy could be written: the library as shipped (with the scalar race) beats none.
                _handle = NativeLibrary.Load(original);
                _report = new TorchLoadReport(original, false, Array.Empty<string>(), HostLibStdCxxPath(), HostMaxGlibcxx(),
                    $"loaded as shipped; no patched copy ({e.Message})");
                return _handle;
            }
        }
    }

    static IntPtr LoadPatched(string original)
    {
        var hostVersions = HostLibStdCxxPath() is { } std ? ElfVersionNeeds.DefinedVersions(std).ToHashSet() : null;
        var elf = ElfVersionNeeds.Read(original);
        var missing = hostVersions is null ? new List<VersionNeed>()
            : elf.Needs.Where(n => n.File.StartsWith("libstdc++") && !n.Weak && !hostVersions.Contains(n.Version)).ToList();
        bool keepScalars = Environment.GetEnvironmentVariable(KeepScalarsVariable) == "1";
        var disabled = !keepScalars || elf.FunctionOffset(ScalarDisposal) is null ? Array.Empty<string>() : new[] { ScalarDisposal };
        var scalars = !keepScalars ? $"scalars freed as shipped (set {KeepScalarsVariable}=1 where the finalizer race bites)"
            : disabled.Length == 0 ? $"{ScalarDisposal} not found: scalars freed as shipped"
            : $"{ScalarDisposal} returns at once (a Scalar's finalizer could free it under a running native call)";
        if (missing.Count == 0 && disabled.Length == 0)
        {
            // Nothing to patch: no copy is written at start-up.
            var shipped = NativeLibrary.Load(original);
            _report = new TorchLoadReport(original, false, Array.Empty<string>(), HostLibStdCxxPath(), HostMaxGlibcxx(), $"loaded as shipped; {scalars}");
            return shipped;
        }

        var target = PatchedPath(original);
        elf.WritePatched(missing, disabled, target);
        PreloadNeighbours(original, target);
        var handle = NativeLibrary.Load(target);
        var relaxed = missing.Count == 0 ? "the host libstdc++ has every version it needs"
            : $"host libstdc++ lacks {string.Join(", ", missing.Select(m => m.Version))}: those requirements marked weak (only symbols without relocations depend on them)";
        _report = new TorchLoadReport(target, true, missing.Select(m => m.Version).ToList(), HostLibStdCxxPath(), HostMaxGlibcxx(),
            $"loaded a patched copy; {relaxed}; {scalars}") { Disabled = disabled };
        return handle;
    }

    /// <summary>Next to the original when that folder is writable (its RUNPATH $ORIGIN then finds libtorch), else a cache folder.</summary>
    static string PatchedPath(string original)
    {
        var dir = Path.GetDirectoryName(original)!;
        var beside = Path.Combine(dir, "libLibTorchSharp.coursekit-compat.so");
        try
        {
            using (File.Open(beside + ".probe", FileMode.Create, FileAccess.Write)) { }
            File.Delete(beside + ".probe");
            return beside;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            var stamp = new FileInfo(original);
            var cache = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "coursekit", "native",
                $"{stamp.Length:x}-{stamp.LastWriteTimeUtc.Ticks:x}");
            Directory.CreateDirectory(cache);
            return Path.Combine(cache, FileName);
        }
    }

    /// <summary>
    /// libLibTorchSharp finds libtorch through RUNPATH $ORIGIN; where libtorch lives elsewhere (a copy in the cache, or
    /// the NuGet folder layout a notebook kernel uses) its libraries are loaded first so the SONAMEs are already there.
    /// </summary>
    static void PreloadNeighbours(string original, string target)
    {
        var packages = NuGetPackagesFolder();
        var candidates = new List<string?> { Path.GetDirectoryName(original), Path.GetDirectoryName(target), LoadedLibraryDirectory("libtorch_cpu.so") };
        var libtorchPackage = Path.Combine(packages, $"libtorch-cpu-{Rid}");
        if (Directory.Exists(libtorchPackage))
            candidates.AddRange(Directory.GetDirectories(libtorchPackage).OrderByDescending(d => d).Select(d => Path.Combine(d, "runtimes", Rid, "native")));
        var torchDir = candidates.FirstOrDefault(d => d is not null && File.Exists(Path.Combine(d, "libtorch_cpu.so")));
        if (torchDir is null || torchDir == Path.GetDirectoryName(target)) return;
        foreach (var lib in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" })
        {
            var p = Path.Combine(torchDir, lib);
            if (File.Exists(p)) NativeLibrary.Load(p);
        }
    }

    static string Rid => RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";

    static string NuGetPackagesFolder() => Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    static bool CudaBackendShipped()
    {
        var dirs = new[] { FindOriginal() is { } o ? Path.GetDirectoryName(o) : null, Path.Combine(AppContext.BaseDirectory, "runtimes", Rid, "native"), AppContext.BaseDirectory };
        return dirs.Any(d => d is not null && File.Exists(Path.Combine(d, OperatingSystem.IsWindows() ? "torch_cuda.dll" : "libtorch_cuda.so")));
    }

    static string? FindOriginal()
    {
        var torchDir = Path.GetDirectoryName(typeof(torch).Assembly.Location) ?? AppContext.BaseDirectory;
        var candidates = new List<string>
        {
            Path.Combine(torchDir, "runtimes", Rid, "native"),
            torchDir,
            Path.Combine(AppContext.BaseDirectory, "runtimes", Rid, "native"),
            AppContext.BaseDirectory,
        };
        if (typeof(torch).Assembly.GetName().Version is { } v)
            candidates.Add(Path.Combine(NuGetPackagesFolder(), "torchsharp", $"{v.Major}.{v.Minor}.{v.Build}", "runtimes", Rid, "native"));
        return candidates.Select(d => Path.Combine(d, FileName)).FirstOrDefault(File.Exists);
    }

    /// <summary>The libstdc++ this process uses (the .NET host loads it before any of our code).</summary>
    public static string? HostLibStdCxxPath() => LoadedLibraryPath("libstdc++.so.6");

    /// <summary>The newest GLIBCXX_x.y.z version the host libstdc++ defines, e.g. GLIBCXX_3.4.30.</summary>
    public static string? HostMaxGlibcxx()
    {
        var path = HostLibStdCxxPath();
        if (path is null) return null;
        return ElfVersionNeeds.DefinedVersions(path)
            .Where(v => v.StartsWith("GLIBCXX_3.", StringComparison.Ordinal))
            .OrderBy(v => Version.TryParse(v["GLIBCXX_".Length..], out var parsed) ? parsed : new Version())
            .LastOrDefault();
    }

    static string? LoadedLibraryDirectory(string fileName) => LoadedLibraryPath(fileName) is { } p ? Path.GetDirectoryName(p) : null;

    /// <summary>The path of a native library this process has mapped (Linux; null elsewhere or when not loaded).</summary>
    public static string? LoadedLibraryPath(string fileName)
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/self/maps")) return null;
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            int slash = line.IndexOf('/');
            if (slash < 0) continue;
            var path = line[slash..];
            if (Path.GetFileName(path).StartsWith(fileName, StringComparison.Ordinal)) return path;
        }
        return null;
    }
}
