using System.Text.Json.Nodes;
using CourseKit.Notebooks;
using static CourseKit.Tests.Notebooks.NotebookFixtures;

namespace CourseKit.Tests.Notebooks;

/// <summary>A failing cell (runtime, compile, other language) fails its notebook, names the cell and line, and skips the rest.</summary>
[Collection("Notebooks")]
[KeepTensorsAlive]
public class NotebookFailureTests
{
    readonly string _dir = TestPaths.NewTempDir("coursekit-nb");

    [Fact]
    public async Task Throwing_cell_fails_the_notebook_and_later_notebooks_still_run()
    {
        var bad = Save(_dir, "a_bad", Markdown("# bad"), Code("var n = 3;"), Code("Console.WriteLine(\"before\");\nthrow new InvalidOperationException(\"boom \" + n);"), Code("Console.WriteLine(\"after\");"));
        var good = Save(_dir, "b_good", Code("Console.WriteLine(\"fine\");"));
        var outDir = Path.Combine(_dir, "out");
        var report = await new NotebookRunner(new NotebookRunOptions { OutputDirectory = outDir }).RunAllAsync(new[] { bad, good });

        Assert.False(report.Succeeded);
        var failed = report.Notebooks[0];
        Assert.Equal(3, failed.FailedCell!.Number);
        Assert.Equal(2, failed.FailedCell.CodeIndex);
        Assert.Equal(2, failed.FailedCell.Error!.Line);
        Assert.Equal("InvalidOperationException", failed.FailedCell.Error.Name);
        Assert.Contains("cell 3 (code cell 2) failed at line 2: InvalidOperationException: boom 3", failed.FailureMessage);
        Assert.Equal("skipped", failed.Cells[3].Status);
        var outputs = failed.Cells[2].Outputs;
        Assert.Equal("before\n", NbText.Read(outputs[0]["text"]));
        Assert.Equal("error", Type(outputs[1]));
        Assert.Equal("boom 3", outputs[1]["evalue"]!.GetValue<string>());

        Assert.True(report.Notebooks[1].Succeeded);
        Assert.Equal("fine\n", report.Notebooks[1].Cells[0].Stream("stdout"));

        // The partially executed notebook and the summary are written.
        var written = NotebookDocument.Load(Path.Combine(outDir, "a_bad.ipynb"));
        Assert.Equal("error", Type(written.Cells[2].Outputs.OfType<JsonObject>().Last()));
        Assert.Null(written.Cells[3].ExecutionCount);
        var summary = JsonNode.Parse(File.ReadAllText(report.SummaryPath!))!;
        Assert.Equal("error", summary["status"]!.GetValue<string>());
        Assert.Equal(3, summary["notebooks"]![0]!["failed_cell"]!["cell"]!.GetValue<int>());
        Assert.Equal("ok", summary["notebooks"]![1]!["status"]!.GetValue<string>());

        var stopped = await new NotebookRunner(new NotebookRunOptions { FailFast = true }).RunAllAsync(new[] { bad, good });
        Assert.Single(stopped.Notebooks);
    }

    [Fact]
    public async Task Compile_error_reports_the_line_inside_the_cell_with_directives_stripped()
    {
        var path = Save(_dir, "compile", Code("#r \"nuget: MathNet.Numerics, 5.0.0\"\nvar ok = 1;\n\nint y = \"text\";"));
        var result = await Run(path);
        var error = result.FailedCell!.Error!;
        Assert.Equal("compile", error.Kind);
        Assert.Equal(4, error.Line);
        Assert.Contains("CS0029", error.Message);
        Assert.Contains("cell 1 (code cell 1) failed at line 4", result.FailureMessage);
    }

    [Fact]
    public async Task Cells_in_other_languages_fail_naming_the_cell_and_markdown_magic_passes()
    {
        var path = Save(_dir, "polyglot", Code("#!markdown\n# a markdown cell stored as code"), Code("#!csharp\nvar a = 1;"), Code("#!fsharp\nlet a = 1"));
        var result = await Run(path);
        Assert.Equal(new[] { "passthrough", "ok", "error" }, result.Cells.Select(c => c.Status));
        Assert.Contains("cell 3 (code cell 3) is a fsharp cell", result.FailureMessage);
    }

    [Fact]
    public void Course_run_verb_exits_nonzero_on_a_failing_notebook_and_zero_when_all_pass()
    {
        var good = Save(_dir, "cli_good", Code("int epochs = 1;", "parameters"), Code("Console.WriteLine(epochs);"));
        var bad = Save(_dir, "cli_bad", Code("throw new Exception(\"x\");"));
        var outDir = Path.Combine(_dir, "cli-out");
        var console = Console.Out;
        var captured = new StringWriter();
        Console.SetOut(captured);
        int ok, failed;
        try
        {
            ok = CourseKit.Cli.Verbs.RunVerb.Create().Parse(new[] { good, "-p", "epochs=7", "--out", outDir }).Invoke();
            failed = CourseKit.Cli.Verbs.RunVerb.Create().Parse(new[] { bad, good, "--out", outDir }).Invoke();
        }
        finally { Console.SetOut(console); }
        Assert.Equal(0, ok);
        Assert.Equal(1, failed);
        Assert.Contains("cli_bad.ipynb: cell 1 (code cell 1) failed at line 1: Exception: x", captured.ToString());
        Assert.Contains("1 passed, 1 failed", captured.ToString());
        Assert.True(File.Exists(Path.Combine(outDir, "run-summary.json")));
    }
}
