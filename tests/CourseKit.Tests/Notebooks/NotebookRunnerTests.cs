using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CourseKit.Notebooks;
using static CourseKit.Tests.Notebooks.NotebookFixtures;

namespace CourseKit.Tests.Notebooks;

/// <summary>The runner redirects Console and sets Reporter.Current: its tests run one at a time.</summary>
[CollectionDefinition("Notebooks", DisableParallelization = true)]
public sealed class NotebooksCollection { }

/// <summary>Cells share one script state; outputs (streams, results, displays, progress) land in the executed notebook, which is written as nbformat 4 and offline HTML.</summary>
[Collection("Notebooks")]
[KeepTensorsAlive]
public class NotebookRunnerTests
{
    readonly string _dir = TestPaths.NewTempDir("coursekit-nb");

    [Fact]
    public async Task State_is_shared_across_cells()
    {
        var path = Save(_dir, "state", Markdown("# State"), Code("var a = 20;"), OldStyleCode("int b = a + 22;"), Code("Console.WriteLine(b * 10);"));
        var result = await Run(path);
        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.Equal("420\n", result.Cells[3].Stream("stdout"));
        Assert.Equal(new[] { "passthrough", "ok", "ok", "ok" }, result.Cells.Select(c => c.Status));
    }

    [Fact]
    public async Task Display_update_replaces_the_output_in_place()
    {
        var path = Save(_dir, "display",
            Code("var h = display(\"one\");\ndisplay(\"two\");\nh.Update(\"three\");"),
            Code("h.Update(\"four\");\ndisplay(\"<b>x</b>\", \"text/html\");"));
        var result = await Run(path);
        Assert.True(result.Succeeded, result.FailureMessage);
        var first = result.Executed.Cells[0].Outputs.OfType<JsonObject>().ToList();
        Assert.Equal(new[] { "four", "two" }, first.Select(o => OutputText(o)));
        Assert.All(first, o => Assert.Equal("display_data", Type(o)));
        var second = result.Cells[1].Outputs.Single();
        Assert.Equal("<b>x</b>", OutputText(second, "text/html"));
        Assert.Null(second["data"]!["text/plain"]);
    }

    [Fact]
    public async Task Stdout_and_stderr_are_captured_per_cell_in_order()
    {
        var path = Save(_dir, "streams", Code("Console.WriteLine(\"a\");\nConsole.Write(\"b\");\nConsole.Error.WriteLine(\"oops\");\nConsole.WriteLine(\"c\");"));
        var result = await Run(path);
        var outputs = result.Cells[0].Outputs;
        Assert.Equal(new[] { "stdout", "stderr", "stdout" }, outputs.Select(o => o["name"]!.GetValue<string>()));
        Assert.Equal("a\nb", NbText.Read(outputs[0]["text"]));
        Assert.Equal("oops\n", NbText.Read(outputs[1]["text"]));
        Assert.Equal("c\n", NbText.Read(outputs[2]["text"]));
    }

    [Fact]
    public async Task Trailing_expression_becomes_execute_result_and_statements_do_not()
    {
        var path = Save(_dir, "result", Code("var x = 40;"), Code("x + 2"), Code("Math.Max(x, 2);"), Code("new List<int> { 1, 2 }"));
        var result = await Run(path);
        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.Empty(result.Cells[0].Outputs);
        var value = result.Cells[1].Outputs.Single();
        Assert.Equal("execute_result", Type(value));
        Assert.Equal("42", OutputText(value));
        Assert.Equal(2, value["execution_count"]!.GetValue<int>());
        Assert.Empty(result.Cells[2].Outputs);
        // Objects get the HTML and the plain-text forms; primitives only plain text.
        var list = result.Cells[3].Outputs.Single();
        Assert.NotEmpty(OutputText(list, "text/html"));
        Assert.Matches(@"1\D+2", OutputText(list));
        Assert.Null(value["data"]!["text/html"]);
    }

    [Fact]
    public async Task Reporter_progress_becomes_one_updating_display()
    {
        var kit = Path.GetRelativePath(_dir, TestPaths.InRepo("artifacts", "kit", "CourseKit.dll"));
        var path = Save(_dir, "progress",
            Code($"#r \"{kit}\"\n" + "var p = CourseKit.Reporting.Reporter.StartProgress(\"train\", 4);\nfor (var i = 1; i <= 4; i++) p.Report(i, $\"step {i}\");\np.Dispose();"),
            Code("CourseKit.Reporting.Reporter.Show(\"shown\");"));
        var result = await Run(path);
        Assert.True(result.Succeeded, result.FailureMessage);
        var progress = result.Cells[0].Outputs.Single();
        Assert.StartsWith("train: 4/4 (100%)", OutputText(progress));
        Assert.Contains("step 4", OutputText(progress));
        Assert.Contains("<progress value=\"4\" max=\"4\">", OutputText(progress, "text/html"));
        Assert.Equal("shown", OutputText(result.Cells[1].Outputs.Single()));
    }

    [Fact]
    public async Task Written_notebook_is_valid_nbformat4_and_html_is_offline_with_plotly_once()
    {
        var path = Save(_dir, "charts",
            Markdown("## Two charts\nSome **bold** text."),
            Code("#r \"nuget: Plotly.NET.CSharp, 0.14.0\"\n#r \"nuget: Microsoft.Data.Analysis, 0.23.1\"\nusing Plotly.NET.CSharp;"),
            Code("Console.WriteLine(\"drawing\");\ndisplay(Chart.Line<int, int, string>(x: new[] { 1, 2, 3 }, y: new[] { 1, 4, 9 }));\nChart.Point<int, int, string>(x: new[] { 1, 2 }, y: new[] { 2, 1 })"),
            Code("new Microsoft.Data.Analysis.DataFrame(new Microsoft.Data.Analysis.PrimitiveDataFrameColumn<int>(\"count\", Enumerable.Range(0, 60)))"),
            Code("throw new Exception(\"last\");"));
        var outDir = Path.Combine(_dir, "out");
        var result = await Run(path, new NotebookRunOptions { OutputDirectory = outDir });
        Assert.Equal(5, result.FailedCell!.Number);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "charts.ipynb")));
        var root = json.RootElement;
        Assert.Equal(4, root.GetProperty("nbformat").GetInt32());
        Assert.True(root.GetProperty("nbformat_minor").GetInt32() >= 4);
        Assert.Equal(".net-csharp", root.GetProperty("metadata").GetProperty("kernelspec").GetProperty("name").GetString());
        Assert.Equal("me", root.GetProperty("metadata").GetProperty("custom_tool").GetProperty("keep").GetString());
        var outputTypes = new List<string>();
        foreach (var cell in root.GetProperty("cells").EnumerateArray())
        {
            var type = cell.GetProperty("cell_type").GetString();
            Assert.Contains(type, new[] { "code", "markdown", "raw" });
            Assert.Equal(JsonValueKind.Object, cell.GetProperty("metadata").ValueKind);
            Assert.Contains(cell.GetProperty("source").ValueKind, new[] { JsonValueKind.Array, JsonValueKind.String });
            if (type != "code") { Assert.False(cell.TryGetProperty("outputs", out _)); continue; }
            Assert.True(cell.TryGetProperty("execution_count", out var count));
            Assert.Contains(count.ValueKind, new[] { JsonValueKind.Number, JsonValueKind.Null });
            Assert.True(cell.GetProperty("metadata").GetProperty("coursekit").TryGetProperty("duration_s", out _));
            foreach (var output in cell.GetProperty("outputs").EnumerateArray())
            {
                var kind = output.GetProperty("output_type").GetString()!;
                outputTypes.Add(kind);
                switch (kind)
                {
                    case "stream":
                        Assert.Contains(output.GetProperty("name").GetString(), new[] { "stdout", "stderr" });
                        Assert.Equal(JsonValueKind.Array, output.GetProperty("text").ValueKind);
                        break;
                    case "display_data":
                    case "execute_result":
                        Assert.Equal(JsonValueKind.Object, output.GetProperty("data").ValueKind);
                        Assert.Equal(JsonValueKind.Object, output.GetProperty("metadata").ValueKind);
                        if (kind == "execute_result") Assert.Equal(JsonValueKind.Number, output.GetProperty("execution_count").ValueKind);
                        break;
                    case "error":
                        Assert.Equal("last", output.GetProperty("evalue").GetString());
                        Assert.NotEmpty(output.GetProperty("ename").GetString()!);
                        Assert.Equal(JsonValueKind.Array, output.GetProperty("traceback").ValueKind);
                        break;
                    default:
                        Assert.Fail($"unexpected output_type {kind}");
                        break;
                }
            }
        }
        Assert.Equal(new[] { "stream", "display_data", "execute_result", "execute_result", "error" }, outputTypes);
        var figure = root.GetProperty("cells")[2].GetProperty("outputs")[1].GetProperty("data").GetProperty("application/vnd.plotly.v1+json");
        Assert.Equal(new[] { 1, 4, 9 }, figure.GetProperty("data")[0].GetProperty("y").EnumerateArray().Select(v => v.GetInt32()));

        var html = File.ReadAllText(Path.Combine(outDir, "charts.html"));
        Assert.DoesNotMatch(new Regex("<script[^>]*\\ssrc\\s*=", RegexOptions.IgnoreCase), html);
        Assert.DoesNotContain("src=\"https://cdn", html);
        var plotlyHead = PlotlyFigure.PlotlyJs[..200];
        Assert.Single(Regex.Matches(html, Regex.Escape(plotlyHead)));
        Assert.Equal(2, Regex.Matches(html, "class=\"coursekit-plotly\"").Count);
        Assert.Contains("<h2", html);
        Assert.Contains("<strong>bold</strong>", html);
        Assert.Contains("<th>count</th>", html);
        Assert.Contains("… 10 more rows", html);
        Assert.Contains("drawing", html);
    }

    [Fact]
    public void Folder_expansion_sorts_and_skips_underscore_files()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "folder")).FullName;
        foreach (var name in new[] { "02-b", "01-a", "_template" }) Save(folder, name, Code("var a = 1;"));
        File.WriteAllText(Path.Combine(folder, "notes.md"), "x");
        var paths = NotebookRunner.ExpandInputs(new[] { folder });
        Assert.Equal(new[] { "01-a.ipynb", "02-b.ipynb" }, paths.Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_notebooks_dropped_tensors_are_freed_when_it_ends_and_its_memory_is_reported()
    {
        // 400 MB of native memory held by a script variable and never disposed: only the notebook's end can free it.
        var path = Save(_dir, "memory", Code("#r \"nuget: TorchSharp-cpu, 0.107.0\"\nvar big = TorchSharp.torch.ones(100_000_000);\nbig.sum().item<float>()"));
        var outDir = Path.Combine(_dir, "memory-out");
        var report = await new NotebookRunner(new NotebookRunOptions { OutputDirectory = outDir }).RunAllAsync([path]);
        var result = report.Notebooks.Single();
        Assert.True(result.Succeeded, result.FailureMessage);
        var memory = result.Memory!;
        Assert.True(memory.PeakBytes - memory.ResidentAfterBytes > 300_000_000,
            $"the tensor stayed resident after the notebook: {memory}");
        var summary = JsonNode.Parse(File.ReadAllText(report.SummaryPath!))!["notebooks"]![0]!["memory"]!;
        Assert.Equal(Math.Round(memory.PeakBytes / 1048576.0, 1), summary["peak_resident_mb"]!.GetValue<double>());
        Assert.Equal(Math.Round(memory.ResidentAfterBytes / 1048576.0, 1), summary["resident_after_mb"]!.GetValue<double>());
    }

    [Fact]
    public async Task A_cells_dropped_tensors_live_until_the_cell_ends()
    {
        // TensorKeepAlive around each cell: a temporary the cell drops survives collections while the cell runs (so none
        // can be freed under a native call still reading it) and is collectable once the cell has ended.
        var path = Save(_dir, "keepalive",
            Code("#r \"nuget: TorchSharp-cpu, 0.107.0\"\n" +
                 "[System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]\n" +
                 "static WeakReference Dropped() => new(TorchSharp.torch.ones(3));\n" +
                 "static void CollectAll() { GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect(); }\n" +
                 "var dropped = Dropped();\nCollectAll();\nConsole.WriteLine($\"during: {dropped.IsAlive}\");"),
            Code("CollectAll();\nConsole.WriteLine($\"after: {dropped.IsAlive}\");"));
        var result = await Run(path);
        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.Equal("during: True\n", result.Cells[0].Stream("stdout"));
        Assert.Equal("after: False\n", result.Cells[1].Stream("stdout"));
    }
}
