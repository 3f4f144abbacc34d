using System.CommandLine;
using CourseKit.Cli.Verbs;

namespace CourseKit.Tests.Tasks.Monitoring;

public class MonitorCliTests : IDisposable
{
    readonly string _dir = TestPaths.NewTempDir("coursekit-monitor-cli");
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Run_without_a_model_folder_says_how_to_make_one()
    {
        var stream = Path.Combine(_dir, "s.csv");
        File.WriteAllText(stream, "time,source,text\n2024-03-01,wire,Profit rose.\n");
        var error = new StringWriter();
        var missing = Path.Combine(_dir, "no-model");
        var code = MonitorVerb.Create().Parse(["run", "--model", missing, "--stream", stream, "--out", Path.Combine(_dir, "out")])
            .Invoke(new InvocationConfiguration { Output = new StringWriter(), Error = error });
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", error.ToString());
        Assert.Contains(missing, error.ToString());
        Assert.Contains("course monitor train", error.ToString());
    }

    [Fact]
    public void Train_and_run_take_the_documented_options()
    {
        var verb = MonitorVerb.Create();
        string[] Options(string name) => verb.Subcommands.Single(c => c.Name == name).Options.Select(o => o.Name).ToArray();
        Assert.Superset(new HashSet<string>(["--profile", "--seed", "--out", "--threads", "--ner"]), new HashSet<string>(Options("train")));
        Assert.Superset(new HashSet<string>(["--model", "--stream", "--out", "--threads"]), new HashSet<string>(Options("run")));
    }
}
