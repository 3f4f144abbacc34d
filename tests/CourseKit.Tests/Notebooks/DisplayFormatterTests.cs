using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CourseKit.Notebooks;
using static CourseKit.Tests.Notebooks.NotebookFixtures;

namespace CourseKit.Tests.Notebooks;

/// <summary>How values show: kit types by their own text, data frames as capped tables.</summary>
[Collection("Notebooks")]
[KeepTensorsAlive]
public class DisplayFormatterTests
{
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
}
