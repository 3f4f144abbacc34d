using System.Text.Json.Nodes;
using CourseKit.Notebooks;
using static CourseKit.Tests.Notebooks.NotebookFixtures;

namespace CourseKit.Tests.Notebooks;

/// <summary>Profiles, -p overrides and --seed, injected after the cell tagged "parameters".</summary>
[Collection("Notebooks")]
[KeepTensorsAlive]
public class NotebookParameterTests
{
    readonly string _dir = TestPaths.NewTempDir("coursekit-nb");

    [Fact]
    public async Task Parameters_come_from_profile_then_p_overrides_into_an_injected_cell()
    {
        var profiles = new JsonObject
        {
            ["quick"] = new JsonObject { ["epochs"] = 1, ["subset"] = 200, ["tag"] = "q" },
            ["full"] = new JsonObject { ["epochs"] = 5, ["subset"] = 0 },
        };
        var path = Save(_dir, "params", profiles,
            Code("int epochs = 5;\nint subset = 0;\ndouble lr = 0.1;\nstring tag = \"default\";\nbool fast = false;\nlong steps = 10;", "parameters"),
            Code("Console.Write($\"{epochs}|{subset}|{lr.ToString(System.Globalization.CultureInfo.InvariantCulture)}|{tag}|{fast}|{steps}\");"));
        var options = new NotebookRunOptions
        {
            Profile = "quick", OutputDirectory = _dir,
            Parameters = new Dictionary<string, string> { ["epochs"] = "3", ["lr"] = "0.25", ["fast"] = "true", ["steps"] = "12345678901" },
        };
        var result = await Run(path, options);
        Assert.True(result.Succeeded, result.FailureMessage);
        // epochs: -p beats the profile's 1; subset and tag from the profile; lr/fast/steps from -p.
        Assert.Equal("3|200|0.25|q|True|12345678901", result.Cells.Last().Stream("stdout"));

        var cells = result.Executed.Cells;
        Assert.Contains("parameters", cells[0].Tags);
        Assert.Contains("injected-parameters", cells[1].Tags);
        Assert.Contains("int epochs = 3;", cells[1].Source);
        Assert.Contains("string tag = \"q\";", cells[1].Source);
        Assert.Contains("long steps = 12345678901L;", cells[1].Source);
        Assert.True(result.Cells.Single(c => c.Injected).Status == "ok");

        var written = JsonNode.Parse(File.ReadAllText(result.OutputNotebookPath!))!;
        var run = written["metadata"]!["coursekit"]!["run"]!;
        Assert.Equal(3, run["parameters"]!["epochs"]!.GetValue<int>());
        Assert.Equal(200, run["parameters"]!["subset"]!.GetValue<int>());
        Assert.Equal(0.25, run["parameters"]!["lr"]!.GetValue<double>());
        Assert.Equal("quick", run["profile"]!.GetValue<string>());
        Assert.NotNull(written["metadata"]!["coursekit"]!["profiles"]!["full"]); // the notebook's own metadata survives
    }

    // --threads matters as much as --seed: the chapters declare `int threads = 1;` and call torch.set_num_threads(threads),
    // so without the injection the chapter's own default would undo the runner's --threads.
    [Theory]
    [InlineData("seed")]
    [InlineData("threads")]
    public async Task Runner_option_sets_a_declared_variable_and_is_ignored_where_none_is_declared(string name)
    {
        NotebookRunOptions With(int value, Dictionary<string, string>? parameters = null) => name == "seed"
            ? new NotebookRunOptions { Seed = value, Parameters = parameters ?? new() }
            : new NotebookRunOptions { Threads = value, Parameters = parameters ?? new() };
        var declared = Save(_dir, $"declares-{name}", Code($"int {name} = 1;\nint epochs = 2;", "parameters"), Code($"Console.Write({name} * 100 + epochs);"));
        var result = await Run(declared, With(7));
        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.Equal("702", result.Cells.Last().Stream("stdout"));
        var explicitWins = await Run(declared, With(7, new Dictionary<string, string> { [name] = "9" }));
        Assert.Equal("902", explicitWins.Cells.Last().Stream("stdout"));

        var undeclared = Save(_dir, $"lacks-{name}", Code("int epochs = 2;", "parameters"), Code("Console.Write(epochs);"));
        var plain = await Run(undeclared, With(7));
        Assert.True(plain.Succeeded, plain.FailureMessage);
        Assert.Equal("2", plain.Cells.Last().Stream("stdout"));
        var noParametersCell = Save(_dir, $"nocell-{name}", Code("Console.Write(3);"));
        Assert.True((await Run(noParametersCell, With(7))).Succeeded);
    }

    [Fact]
    public async Task Unknown_parameter_and_unparsable_value_are_clear_errors()
    {
        var path = Save(_dir, "badparams", Code("int epochs = 5;", "parameters"), Code("Console.Write(epochs);"));
        var unknown = await Run(path, new NotebookRunOptions { Parameters = new Dictionary<string, string> { ["epoch"] = "1" } });
        Assert.False(unknown.Succeeded);
        Assert.Contains("unknown parameter 'epoch'", unknown.FailureMessage);
        Assert.Contains("epochs", unknown.FailureMessage);
        Assert.Equal("skipped", unknown.Cells.Last().Status);

        var bad = await Run(path, new NotebookRunOptions { Parameters = new Dictionary<string, string> { ["epochs"] = "three" } });
        Assert.False(bad.Succeeded);
        Assert.Contains("'three' is not a valid int", bad.FailureMessage);

        var profile = await Run(path, new NotebookRunOptions { Profile = "quick", Parameters = new Dictionary<string, string>() });
        Assert.True(profile.Succeeded, "a notebook without profiles ignores --profile");
        Assert.Contains(profile.Notes, n => n.Contains("profile 'quick' ignored"));
    }
}
