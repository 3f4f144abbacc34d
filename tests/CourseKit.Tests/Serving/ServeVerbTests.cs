using System.CommandLine;
using CourseKit.Cli.Verbs;
using CourseKit.Serving;

namespace CourseKit.Tests.Serving;

/// <summary><c>course serve</c> and <c>course bench serve</c> bind their options to the serving library's types.</summary>
[KeepTensorsAlive]
public sealed class ServeVerbTests
{
    static Command BenchServe() => BenchVerb.Create().Subcommands.Single(c => c.Name == "serve");

    [Fact]
    public void Bench_serve_takes_profile_seed_out_and_threads()
    {
        var names = BenchServe().Options.Select(o => o.Name).ToHashSet();
        foreach (var required in new[] { "--profile", "--seed", "--out", "--threads", "--model", "--task", "--backend", "--max-batch" })
            Assert.Contains(required, names);
    }

    [Theory]
    [InlineData("classify", ServingTask.Classify)]
    [InlineData("NER", ServingTask.Ner)]
    [InlineData("qa", ServingTask.Qa)]
    [InlineData("embed", ServingTask.Embed)]
    public void Serve_task_binds_to_the_library_enum(string word, ServingTask expected)
    {
        var result = ServeVerb.Create().Parse(["--task", word, "--backend", "onnx-int8", "--port", "0", "--max-batch", "8", "--max-wait-ms", "1.5", "--threads", "1"]);
        Assert.Empty(result.Errors);
        Assert.Equal(expected, result.GetValue<ServingTask>("--task"));
        Assert.Equal(ServingBackend.OnnxInt8, result.GetValue<ServingBackend>("--backend"));
        Assert.Equal(8, result.GetValue<int>("--max-batch"));
    }

    [Fact]
    public void Serve_rejects_unknown_tasks_and_backends_naming_the_accepted_ones()
    {
        var task = ServeVerb.Create().Parse(["--task", "summarize"]);
        Assert.Contains(task.Errors, e => e.Message.Contains("classify") && e.Message.Contains("summarize"));
        Assert.NotEmpty(ServeVerb.Create().Parse(["--backend", "tensorrt"]).Errors);
        Assert.NotEmpty(ServeVerb.Create().Parse(["--port", "eighty"]).Errors);
    }

    [Fact]
    public void Serve_on_a_missing_folder_prints_one_error_line()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var parse = ServeVerb.Create().Parse(["--model", Path.Combine(Path.GetTempPath(), $"no-model-{Guid.NewGuid():N}"), "--port", "0"]);
        parse.InvocationConfiguration.Output = output;
        parse.InvocationConfiguration.Error = error;
        Assert.Equal(1, parse.Invoke());
        Assert.StartsWith("error: ", error.ToString());
        Assert.Contains("config.json", error.ToString());
    }
}
