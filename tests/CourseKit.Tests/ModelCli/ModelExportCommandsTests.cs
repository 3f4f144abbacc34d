using System.CommandLine;
using CourseKit.Checkpoints;
using CourseKit.Cli.Verbs;
using CourseKit.Tests.Checkpoints;

namespace CourseKit.Tests.ModelCli;

/// <summary><c>course model export-onnx</c>, invoked in-process on the tiny random BERT folders.</summary>
[Collection(Models.TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public sealed class ModelExportCommandsTests(OnnxExportFixture fixture) : IClassFixture<OnnxExportFixture>
{
    static (int Code, string Output, string Error) RunCli(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = ModelVerb.Create().Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void Export_onnx_writes_the_head_asked_for_and_int8_on_request()
    {
        var path = Path.Combine(fixture.Root, "cli-qa.int8.onnx");
        var (code, output, error) = RunCli("export-onnx", fixture.Folder("question-answering"), "--out", path, "--head", "question-answering", "--int8");
        Assert.True(code == 0, error);
        Assert.Contains("start_logits, end_logits", output);
        Assert.Contains("int8", output);
        using var session = new OnnxBertSession(path, threads: 1);
        Assert.Equal(["start_logits", "end_logits"], session.OutputNames);
        Assert.Equal("question-answering", session.Metadata["coursekit.head"]);
        Assert.Equal("true", session.Metadata["coursekit.int8"]);
    }

    [Fact]
    public void Export_onnx_refuses_an_unknown_head_and_a_missing_head_in_one_error_line()
    {
        var (code, _, error) = RunCli("export-onnx", fixture.Folder("encoder"), "--out", Path.Combine(fixture.Root, "bad.onnx"), "--head", "summarize");
        Assert.Equal(1, code);
        Assert.StartsWith("error: unknown export head 'summarize'", error);
        (code, _, error) = RunCli("export-onnx", fixture.Folder("encoder"), "--out", Path.Combine(fixture.Root, "bad.onnx"), "--head", "token-classification");
        Assert.Equal(1, code);
        Assert.Contains("classifier.weight", error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public void Prune_writes_a_folder_and_refuses_a_sparsity_of_one()
    {
        var target = Path.Combine(fixture.Root, "cli-pruned");
        var (code, output, error) = RunCli("prune", fixture.Folder("encoder"), "--out", target, "--sparsity", "0.25");
        Assert.True(code == 0, error);
        Assert.Contains("sparsity 0.2", output);
        Assert.True(File.Exists(Path.Combine(target, "model.safetensors")));
        (code, _, error) = RunCli("prune", fixture.Folder("encoder"), "--out", target, "--sparsity", "1");
        Assert.Equal(1, code);
        Assert.StartsWith("error: --sparsity", error);
    }

    [Fact]
    public void Prune_removes_heads_and_refuses_both_or_neither_method()
    {
        var target = Path.Combine(fixture.Root, "cli-heads");
        var (code, output, error) = RunCli("prune", fixture.Folder("encoder"), "--out", target, "--heads", "0.25");
        Assert.True(code == 0, error);
        Assert.Contains("2 of 8 attention heads removed", output);
        (code, _, error) = RunCli("prune", fixture.Folder("encoder"), "--out", target, "--heads", "0.25", "--sparsity", "0.5");
        Assert.Equal(1, code);
        Assert.Contains("exactly one of --sparsity", error);
        (code, _, error) = RunCli("prune", fixture.Folder("encoder"), "--out", target);
        Assert.Equal(1, code);
        Assert.Contains("exactly one of --sparsity", error);
    }
}
