using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using CourseKit.Notebooks;
using static CourseKit.Tests.Notebooks.NotebookFixtures;

namespace CourseKit.Tests.Notebooks;

/// <summary>The runner redirects Console and sets Reporter.Current: its tests run one at a time.</summary>
[CollectionDefinition("Notebooks", DisableParallelization = true)]
public sealed class NotebooksCollection { }

[Collection("Notebooks")]
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

    [Fact]
    public async Task Seed_overrides_a_declared_seed_and_is_ignored_where_none_is_declared()
    {
        var seeded = Save(_dir, "seeded", Code("int seed = 1;\nint epochs = 2;", "parameters"), Code("Console.Write(seed * 100 + epochs);"));
        var result = await Run(seeded, new NotebookRunOptions { Seed = 7 });
        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.Equal("702", result.Cells.Last().Stream("stdout"));
        var explicitWins = await Run(seeded, new NotebookRunOptions { Seed = 7, Parameters = new Dictionary<string, string> { ["seed"] = "9" } });
        Assert.Equal("902", explicitWins.Cells.Last().Stream("stdout"));

        var unseeded = Save(_dir, "unseeded", Code("int epochs = 2;", "parameters"), Code("Console.Write(epochs);"));
        var plain = await Run(unseeded, new NotebookRunOptions { Seed = 7 });
        Assert.True(plain.Succeeded, plain.FailureMessage);
        Assert.Equal("2", plain.Cells.Last().Stream("stdout"));
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

    [Fact]
    public async Task Pinned_nuget_reference_works_and_torchsharp_cpu_aliases_the_host_torchsharp()
    {
        var path = Save(_dir, "nuget",
            Code("#r \"nuget: MathNet.Numerics, 5.0.0\"\n#r \"nuget: TorchSharp-cpu, 0.107.0\"\n#i \"nuget: https://example.invalid/feed\""),
            Code("MathNet.Numerics.SpecialFunctions.Factorial(5)"),
            Code("typeof(TorchSharp.torch).Assembly.Location"));
        var result = await Run(path);
        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.Equal("120", OutputText(result.Cells[1].Outputs.Single()));
        Assert.Equal(typeof(TorchSharp.torch).Assembly.Location, OutputText(result.Cells[2].Outputs.Single()));
        Assert.Contains(result.Notes, n => n.Contains("#i") && n.Contains("ignored"));
    }

    [Fact]
    public async Task Unpinned_package_or_version_fails_naming_the_cell()
    {
        var unpinned = Save(_dir, "unpinned", Markdown("intro"), Code("var x = 1;"), Code("#r \"nuget: Newtonsoft.Json, 13.0.3\"\nvar y = 2;"));
        var result = await Run(unpinned);
        Assert.False(result.Succeeded);
        Assert.Contains("cell 3 (code cell 2)", result.FailureMessage);
        Assert.Contains("Newtonsoft.Json", result.FailureMessage);
        Assert.Equal("error", Type(result.Cells[2].Outputs.Single()));

        var wrongVersion = Save(_dir, "wrongversion", Code("#r \"nuget: MathNet.Numerics, 4.15.0\""));
        var second = await Run(wrongVersion);
        Assert.False(second.Succeeded);
        Assert.Contains("cell 1 (code cell 1), line 1", second.FailureMessage);
        Assert.Contains("pins MathNet.Numerics 5.0.0", second.FailureMessage);
    }

    [Fact]
    public async Task Relative_dll_reference_uses_the_hosts_copy()
    {
        var kitDll = TestPaths.InRepo("artifacts", "kit", "CourseKit.dll");
        Assert.True(File.Exists(kitDll), $"{kitDll} missing: building lib/CourseKit copies it there");
        var relative = Path.GetRelativePath(_dir, kitDll);
        var path = Save(_dir, "reldll",
            Code($"#r \"{relative}\""),
            // Same assembly as the host: the runner's Reporter sink is visible from the notebook.
            Code("CourseKit.Reporting.Reporter.Current.GetType().FullName"));
        var result = await Run(path);
        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.Equal(typeof(NotebookReportSink).FullName, OutputText(result.Cells[1].Outputs.Single()));

        var missing = Save(_dir, "missingdll", Code("#r \"../nowhere/Missing.Thing.dll\""));
        var failed = await Run(missing);
        Assert.Contains("cell 1 (code cell 1), line 1", failed.FailureMessage);
        Assert.Contains("file not found", failed.FailureMessage);
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
    public void Kit_types_with_their_own_text_show_as_that_text()
    {
        var report = new CourseKit.Native.DoctorReport();
        report.Add("Device", "backend", "cpu");
        var data = DisplayFormatter.Format(report);
        Assert.Null(data["text/html"]);
        Assert.Equal(report.ToString(), NbText.Read(data["text/plain"]));
        var check = DisplayFormatter.Format(new CourseKit.Native.DoctorCheck("a", "b", "c")); // a record: property view kept
        Assert.NotNull(check["text/html"]);
    }

    [Fact]
    public void Dataframe_formatter_caps_rows_and_writes_a_text_table()
    {
        var df = new Microsoft.Data.Analysis.DataFrame(
            new Microsoft.Data.Analysis.PrimitiveDataFrameColumn<int>("n", Enumerable.Range(0, 53)),
            new Microsoft.Data.Analysis.StringDataFrameColumn("word", Enumerable.Range(0, 53).Select(i => "w" + i)));
        var data = DisplayFormatter.Format(df);
        var html = OutputText(new JsonObject { ["data"] = data.DeepClone() }, "text/html");
        Assert.Equal(50 + 1, Regex.Matches(html, "<tr>").Count); // header row + 50 rows
        Assert.Contains("<th>n</th><th>word</th>", html);
        Assert.Contains("<td>49</td><td>w49</td>", html);
        Assert.DoesNotContain("w50", html);
        Assert.Contains("… 3 more rows", html);
        var lines = NbText.Read(data["text/plain"]).Split('\n');
        Assert.Equal(" n  word", lines[0]);
        Assert.Equal("--  ----", lines[1]);
        Assert.Equal(" 0    w0", lines[2]);
    }

    [Fact]
    public void Directives_are_stripped_keeping_line_numbers()
    {
        var parsed = CellDirectives.Parse("#!csharp\n#r \"nuget: Plotly.NET, 6.0.0\"\n#r \"../lib/x.dll\"\nvar a = 1; // #r \"not a directive\"\n", "fsharp", "cell 1");
        Assert.Equal("csharp", parsed.Language);
        Assert.Equal(new NuGetReference("Plotly.NET", "6.0.0", 2), parsed.Packages.Single());
        Assert.Equal(new FileReference("../lib/x.dll", 3), parsed.Files.Single());
        Assert.Equal("\n\n\nvar a = 1; // #r \"not a directive\"\n", parsed.Code);
        Assert.Throws<NotebookDirectiveException>(() => CellDirectives.Parse("var a = 1;\n#!time\n", "csharp", "cell 2"));
    }

    [Fact]
    public void Embedded_pins_match_Directory_Packages_props()
    {
        var props = XDocument.Load(TestPaths.InRepo("Directory.Packages.props"));
        var properties = props.Descendants("PropertyGroup").Elements().ToDictionary(e => e.Name.LocalName, e => e.Value);
        var expected = props.Descendants("PackageVersion").ToDictionary(
            e => e.Attribute("Include")!.Value,
            e => Regex.Replace(e.Attribute("Version")!.Value, @"\$\((\w+)\)", m => properties[m.Groups[1].Value]));
        Assert.Equal(expected.OrderBy(kv => kv.Key), PackagePins.All.OrderBy(kv => kv.Key));
        Assert.Equal("0.107.0", PackagePins.All["TorchSharp-cpu"]);
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
