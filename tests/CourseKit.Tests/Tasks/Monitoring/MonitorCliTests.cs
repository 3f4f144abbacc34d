using System.CommandLine;
using CourseKit.Cli.Verbs;
using CourseKit.Tasks.Monitoring;

namespace CourseKit.Tests.Tasks.Monitoring;

[KeepTensorsAlive]
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
        Assert.Contains("--test-fold", Options("train"));
    }

    [Fact]
    public void Folds_pools_two_runs_prints_and_writes_json_and_refuses_a_missing_run()
    {
        string Run(string name, int id, int gold)
        {
            var dir = Path.Combine(_dir, name);
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, MonitorTraining.MetricsFile),
                """{"agreement": [{"level": "50Agree", "accuracy": 1.0, "macro_f1": 1.0}], "calibration": {"temperature": 1.0, "ece_after": 0.1}}""");
            new TestProbabilities([id], [gold], [[0.1f, 0.8f, 0.1f]], [[0.1f, 0.8f, 0.1f]]).Save(Path.Combine(dir, TestProbabilities.FileName));
            return dir;
        }
        var json = Path.Combine(_dir, "folds.json");
        var output = new StringWriter();
        var code = MonitorVerb.Create().Parse(["folds", "--runs", $"{Run("a", 1, 1)},{Run("b", 2, 0)}", "--json", json])
            .Invoke(new InvocationConfiguration { Output = output, Error = new StringWriter() });
        Assert.Equal(0, code);
        Assert.Contains("pooled over 2 distinct test sentences: accuracy 0.500", output.ToString());
        Assert.Equal(0.5, System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(json))!["pooled"]!["accuracy"]!.GetValue<double>(), 6);

        var error = new StringWriter();
        var missing = Path.Combine(_dir, "c");
        code = MonitorVerb.Create().Parse(["folds", "--runs", missing]).Invoke(new InvocationConfiguration { Output = new StringWriter(), Error = error });
        Assert.Equal(1, code);
        Assert.Contains(missing, error.ToString());
    }
}
