using System.Text.Json.Nodes;
using CourseKit.Notebooks;
using CourseKit.Notebooks.Apps;
using static CourseKit.Tests.Notebooks.NotebookFixtures;

namespace CourseKit.Tests.Notebooks.Apps;

/// <summary>Each construct of a notebook and what the file-based app makes of it, on small hand-made notebooks.</summary>
[KeepTensorsAlive]
public class AppExporterTests
{
    readonly string _dir = TestPaths.NewTempDir("coursekit-app");
    static string AppsDir => TestPaths.InRepo("apps");

    string Export(string name, JsonObject? profiles, params NotebookCell[] cells) =>
        AppExporter.Export(NotebookDocument.Load(Save(_dir, name, profiles, cells)), TestPaths.RepoRoot, AppsDir);

    static string[] Lines(string app) => app.Split('\n');

    [Fact]
    public void Nuget_and_kit_references_become_package_and_project_directives()
    {
        var app = Export("refs", null, Code("#r \"nuget: Plotly.NET, 6.0.0\"\n#r \"../artifacts/kit/CourseKit.dll\"\nvar x = 1;"));
        Assert.Contains($"#:package Plotly.NET@{PackagePins.All["Plotly.NET"]}\n", app);
        Assert.Contains("#:project ../lib/CourseKit/CourseKit.csproj\n", app);
        Assert.Contains("#:project ../tools/CourseKit.Notebooks\n", app);
        Assert.DoesNotContain("#r ", app);
    }

    [Fact]
    public void A_version_other_than_the_pin_is_refused()
    {
        var ex = Assert.Throws<NotebookDirectiveException>(() => Export("badpin", null, Code("#r \"nuget: Plotly.NET, 1.0.0\"")));
        Assert.Contains("badpin, cell 1", ex.Message);
        Assert.Contains("pinned", ex.Message);
    }

    [Fact]
    public void Markdown_becomes_comments_with_its_headings()
    {
        var app = Export("md", null, Markdown("## Attention\n\nsoftmax of scores"), Code("var x = 1;"));
        Assert.Contains("// ## Attention\n//\n// softmax of scores\n", app);
    }

    [Fact]
    public void Using_directives_are_hoisted_once_above_the_first_statement()
    {
        var app = Lines(Export("usings", null,
            Code("var a = 1.5;"),
            Code("using System.Globalization;\nvar b = a.ToString(CultureInfo.InvariantCulture);"),
            Code("using System.Globalization;\nvar c = b.Length;")));
        var usingLine = Array.IndexOf(app, "using System.Globalization;");
        Assert.True(usingLine >= 0);
        Assert.Equal(1, app.Count(l => l == "using System.Globalization;"));
        Assert.True(usingLine < Array.FindIndex(app, l => l.StartsWith("var a = 1.5;", StringComparison.Ordinal)));
        Assert.True(Array.IndexOf(app, "var b = a.ToString(CultureInfo.InvariantCulture);") > Array.IndexOf(app, "var a = 1.5;"));
    }

    [Fact]
    public void A_trailing_expression_is_displayed()
    {
        var app = Export("trailing", null, Code("var a = 2;\na * 21"));
        Assert.Contains("display(a * 21);", app);
    }

    [Fact]
    public void The_parameters_cell_reads_the_command_line_with_the_profile_values()
    {
        var profiles = new JsonObject { ["quick"] = new JsonObject { ["steps"] = 2, ["lr"] = 0.005 } };
        var app = Export("params", profiles, Code("int steps = 50;  // optimizer steps\ndouble lr = 0;\nint seed = 42;", NotebookParameters.ParametersTag),
            Code("var total = steps * 2;"));
        Assert.Contains("int steps = chapterArgs.Get<int>(\"steps\", 50);  // optimizer steps", app);
        Assert.Contains("double lr = chapterArgs.Get<double>(\"lr\", 0);", app);
        Assert.Contains("[\"quick\"] = new()", app);
        Assert.Contains("[\"steps\"] = \"2\",", app);
        Assert.Contains("[\"lr\"] = \"0.005\",", app);
        Assert.True(app.IndexOf("chapterArgs.CheckAllKnown();", StringComparison.Ordinal) < app.IndexOf("var total", StringComparison.Ordinal));
        Assert.True(app.IndexOf("ChapterApp.Start(\"params\", args", StringComparison.Ordinal) < app.IndexOf("int steps", StringComparison.Ordinal));
    }

    [Fact]
    public void Type_declarations_move_after_the_last_statement()
    {
        var app = Export("types", null, Code("record Point(int X);\nvar p = new Point(1);"), Code("Console.WriteLine(p.X);"));
        Assert.True(app.IndexOf("record Point(int X);", StringComparison.Ordinal) > app.IndexOf("Console.WriteLine(p.X);", StringComparison.Ordinal));
    }

    [Fact]
    public void A_block_local_that_a_later_cell_declares_at_top_level_is_renamed_in_its_block()
    {
        // In a script `long T` is a field, so cell 1's block may declare its own T; in one Main that is CS0136.
        var app = Export("shadow", null,
            Code("{\n    var (B, T) = (1L, 2L);\n    long Twice() => 2 * T;\n    Console.WriteLine(T + Twice());\n}"),
            Code("long T = 5;\nConsole.WriteLine(T);"));
        Assert.Contains("var (B, T_) = (1L, 2L);", app);
        Assert.Contains("long Twice() => 2 * T_;", app);
        Assert.Contains("Console.WriteLine(T_ + Twice());", app);
        Assert.Contains("long T = 5;\nConsole.WriteLine(T);", app);
    }

    [Fact]
    public void Another_languages_cell_is_refused_with_notebook_cell_and_line()
    {
        var ex = Assert.Throws<NotebookDirectiveException>(() => Export("polyglot", null, Code("var x = 1;"), Code("#!fsharp\nlet y = 2")));
        Assert.Contains("polyglot, cell 2 (code cell 2), line 1", ex.Message);
    }

    [Fact]
    public void A_kernel_magic_is_refused_with_its_line()
    {
        var ex = Assert.Throws<NotebookDirectiveException>(() => Export("magic", null, Markdown("# m"), Code("var x = 1;\n#!time\nvar y = 2;")));
        Assert.Contains("magic, cell 2 (code cell 1), line 2", ex.Message);
    }

    [Fact]
    public void A_name_declared_in_two_cells_is_refused()
    {
        var ex = Assert.Throws<NotebookDirectiveException>(() => Export("twice", null, Code("var x = 1;"), Code("var x = 2;")));
        Assert.Contains("'x' is declared again", ex.Message);
    }

    /// <summary>The committed apps are exactly the exporter's output for the committed notebooks: they cannot drift
    /// (after editing a notebook: `course export notebooks/ --to app`).</summary>
    [Fact]
    public void Committed_apps_match_the_notebooks()
    {
        var notebooks = Directory.GetFiles(TestPaths.InRepo("notebooks"), "*.ipynb").Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(notebooks);
        foreach (var notebook in notebooks)
        {
            var appPath = Path.Combine(AppsDir, Path.GetFileNameWithoutExtension(notebook) + ".cs");
            Assert.True(File.Exists(appPath), $"{appPath} is missing: run `course export notebooks/ --to app`");
            var expected = AppExporter.Export(NotebookDocument.Load(notebook), TestPaths.RepoRoot, AppsDir);
            Assert.True(expected == File.ReadAllText(appPath), $"{appPath} differs from its notebook: run `course export notebooks/ --to app`");
        }
        Assert.Equal(notebooks.Count, Directory.GetFiles(AppsDir, "*.cs").Length);
    }
}

/// <summary>The app's command line: profile values, then --seed and -p (later wins), parsed into the declared types.</summary>
[KeepTensorsAlive]
public class ChapterAppArgumentTests
{
    static readonly Dictionary<string, Dictionary<string, string>> Profiles = new()
    {
        ["quick"] = new() { ["steps"] = "2", ["lr"] = "0.005" },
        ["full"] = new() { ["steps"] = "300" },
    };

    [Fact]
    public void Quick_is_the_default_profile_and_undeclared_values_keep_the_notebooks_default()
    {
        var app = ChapterApp.Parse(Array.Empty<string>(), Profiles);
        Assert.Equal(2, app.Get("steps", 50));
        Assert.Equal(0.005, app.Get<double>("lr", 0));
        Assert.Equal("kept", app.Get("name", "kept"));
    }

    [Fact]
    public void Seed_and_p_beat_the_profile_and_none_keeps_the_cell_as_written()
    {
        var app = ChapterApp.Parse(new[] { "--profile", "full", "-p", "steps=7", "--seed", "3", "-p", "flag=true" }, Profiles);
        Assert.Equal(7, app.Get("steps", 50));
        Assert.Equal(3, app.Get("seed", 42));
        Assert.True(app.Get("flag", false));
        Assert.Equal(50, ChapterApp.Parse(new[] { "--profile", "none" }, Profiles).Get("steps", 50));
    }

    [Fact]
    public void Threads_sets_torch_and_a_declared_threads_parameter()
    {
        var app = ChapterApp.Parse(new[] { "--threads", "2", "--profile", "full" }, Profiles);
        Assert.Equal(2, app.Threads);
        Assert.Equal(300, app.Get("steps", 50));
        app.CheckAllKnown();  // no 'threads' parameter is needed for --threads
        Assert.Equal(2, ChapterApp.Parse(new[] { "--threads", "2" }, Profiles).Get("threads", 1));  // the chapter's own default would undo --threads
        Assert.Equal(1, ChapterApp.Parse(new[] { "--threads", "2", "-p", "threads=1" }, Profiles).Get("threads", 4));
        Assert.Equal(0, ChapterApp.Parse(Array.Empty<string>(), Profiles).Threads);
        Assert.Throws<ArgumentException>(() => ChapterApp.Parse(new[] { "--threads", "two" }, Profiles));
        Assert.Throws<ArgumentException>(() => ChapterApp.Parse(new[] { "--threads", "-1" }, Profiles));
    }

    [Fact]
    public void Bad_values_unknown_profiles_and_unknown_parameters_are_errors()
    {
        Assert.Throws<ArgumentException>(() => ChapterApp.Parse(new[] { "--profile", "huge" }, Profiles));
        Assert.Throws<ArgumentException>(() => ChapterApp.Parse(new[] { "-p", "steps=many" }, Profiles).Get("steps", 50));
        var app = ChapterApp.Parse(new[] { "-p", "stpes=3" }, Profiles);
        app.Get("steps", 50);
        app.Get("lr", 0.0);
        var ex = Assert.Throws<ArgumentException>(() => app.CheckAllKnown());
        Assert.Contains("stpes", ex.Message);
    }
}
