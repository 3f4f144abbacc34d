using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace CourseKit.Tests.Repo;

/// <summary>Docker is not available here, so the GPU devcontainer is checked for what can be checked: valid JSON,
/// referenced files present, and versions consistent with the pins the rest of the kit uses.</summary>
[KeepTensorsAlive]
public class DevcontainerTests
{
    static readonly string Dir = TestPaths.InRepo(".devcontainer");
    static JsonElement Config() => JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "devcontainer.json"))).RootElement;
    static string Dockerfile() => File.ReadAllText(Path.Combine(Dir, "Dockerfile"));

    static string PinnedProperty(string name) =>
        XDocument.Load(TestPaths.InRepo("Directory.Packages.props")).Descendants(name).Single().Value;

    static string PinnedPackage(string id) =>
        XDocument.Load(TestPaths.InRepo("Directory.Packages.props")).Descendants("PackageVersion")
            .Single(e => (string?)e.Attribute("Include") == id).Attribute("Version")!.Value;

    static string BuildArg(string name) => Config().GetProperty("build").GetProperty("args").GetProperty(name).GetString()!;

    [Fact]
    public void Referenced_files_exist()
    {
        var build = Config().GetProperty("build");
        Assert.True(File.Exists(Path.Combine(Dir, build.GetProperty("dockerfile").GetString()!)));
        Assert.True(Directory.Exists(Path.GetFullPath(Path.Combine(Dir, build.GetProperty("context").GetString()!, "lib", "CourseKit"))));
        var postCreate = Config().GetProperty("postCreateCommand").GetString()!;
        var script = Regex.Match(postCreate, @"\S+\.sh").Value;
        Assert.True(File.Exists(TestPaths.InRepo(script)), $"postCreateCommand script {script} missing");
    }

    [Fact]
    public void Asks_for_the_gpu_and_the_cuda_backend()
    {
        var runArgs = Config().GetProperty("runArgs").EnumerateArray().Select(e => e.GetString()).ToList();
        int gpus = runArgs.IndexOf("--gpus");
        Assert.True(gpus >= 0 && runArgs[gpus + 1] == "all", "runArgs must contain --gpus all");
        Assert.Equal("cuda", Config().GetProperty("containerEnv").GetProperty("TorchBackend").GetString());
        var postCreate = File.ReadAllText(TestPaths.InRepo(".devcontainer", "post-create.sh"));
        Assert.Contains("-p:TorchBackend=cuda", postCreate);
        Assert.Contains("doctor", postCreate);
        Assert.Contains("TorchSharp-cuda-linux", File.ReadAllText(TestPaths.InRepo("Directory.Build.targets")));
    }

    [Fact]
    public void Cuda_image_matches_the_libtorch_cuda_build()
    {
        var cuda = BuildArg("CUDA_VERSION");
        Assert.StartsWith(PinnedProperty("LibTorchCudaVersion") + ".", cuda);
        var docker = Dockerfile();
        Assert.Matches(@"FROM nvidia/cuda:\$\{CUDA_VERSION\}-cudnn-runtime-", docker);
        Assert.Contains($"ARG CUDA_VERSION={cuda}", docker);
    }

    [Fact]
    public void Package_and_sdk_versions_agree_with_the_pins()
    {
        Assert.Equal(PinnedPackage("TorchSharp"), PinnedPackage("TorchSharp-cuda-linux"));
        Assert.Equal(PinnedPackage("TorchSharp"), PinnedPackage("TorchSharp-cpu"));
        var sdk = JsonDocument.Parse(File.ReadAllText(TestPaths.InRepo("global.json"))).RootElement.GetProperty("sdk").GetProperty("version").GetString()!;
        var channel = BuildArg("DOTNET_CHANNEL");
        Assert.StartsWith(channel.Split('.')[0] + ".", sdk);
        Assert.Contains($"ARG DOTNET_CHANNEL={channel}", Dockerfile());
        Assert.Contains($"ARG DOTNET_INTERACTIVE_VERSION={BuildArg("DOTNET_INTERACTIVE_VERSION")}", Dockerfile());
    }

    [Fact]
    public void Installs_the_notebook_tooling()
    {
        var extensions = Config().GetProperty("customizations").GetProperty("vscode").GetProperty("extensions")
            .EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains("ms-toolsai.jupyter", extensions);
        Assert.Contains("ms-dotnettools.dotnet-interactive-vscode", extensions);
        Assert.Contains("Microsoft.dotnet-interactive --version ${DOTNET_INTERACTIVE_VERSION}", Dockerfile());
        Assert.Contains("dotnet-interactive jupyter install", Dockerfile());
    }
}
