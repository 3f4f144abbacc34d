using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CourseKit.Tests.Tasks.SequenceClassification;

/// <summary>Static checks of notebooks/04-fine-tuning.ipynb (running it takes minutes: `course run` does that).</summary>
[KeepTensorsAlive]
public class FineTuningNotebookTests
{
    static JsonObject Notebook() => JsonNode.Parse(File.ReadAllText(TestPaths.InRepo("notebooks", "04-fine-tuning.ipynb")))!.AsObject();

    static string Source(JsonNode cell) => string.Concat(cell["source"]!.AsArray().Select(l => l!.GetValue<string>()));

    [Fact]
    public void Is_committed_without_outputs_and_its_profiles_set_declared_parameters()
    {
        var nb = Notebook();
        var cells = nb["cells"]!.AsArray();
        Assert.All(cells.Where(c => c!["cell_type"]!.GetValue<string>() == "code"), c =>
        {
            Assert.Empty(c!["outputs"]!.AsArray());
            Assert.DoesNotMatch(new Regex(@"^\s*using var ", RegexOptions.Multiline), Source(c));
        });
        var parameters = cells.Single(c => c!["metadata"]?["tags"]?.AsArray().Any(t => t!.GetValue<string>() == "parameters") == true)!;
        var declared = Regex.Matches(Source(parameters), @"^(?:string|int|double|bool)\s+(\w+)\s*=", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Contains("modelDir", declared);
        var profiles = nb["metadata"]!["coursekit"]!["profiles"]!.AsObject();
        Assert.Equal(["quick", "full"], profiles.Select(p => p.Key));
        foreach (var (name, values) in profiles)
            foreach (var (key, _) in values!.AsObject())
                Assert.True(declared.Contains(key), $"profile {name} sets '{key}', which the parameters cell does not declare");
        Assert.Contains(cells, c => Source(c!).Contains("random", StringComparison.OrdinalIgnoreCase) && Source(c!).Contains("mechanics"));
    }
}
