using System.Text.RegularExpressions;
using System.Xml.Linq;
using CourseKit.Notebooks;
using static CourseKit.Tests.Notebooks.NotebookFixtures;

namespace CourseKit.Tests.Notebooks;

/// <summary>Cell directives: #r "nuget: …" against the pinned versions, #r of a dll, magic commands stripped.</summary>
[Collection("Notebooks")]
[KeepTensorsAlive]
public class NotebookReferenceTests
{
    readonly string _dir = TestPaths.NewTempDir("coursekit-nb");

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
}
