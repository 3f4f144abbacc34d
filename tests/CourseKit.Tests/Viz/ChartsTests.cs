using System.Text.Json;
using CourseKit.Viz;

namespace CourseKit.Tests.Viz;

[KeepTensorsAlive]
public class ChartsTests
{
    private static JsonElement Figure(Plotly.NET.GenericChart chart)
        => JsonDocument.Parse(Charts.ToFigureJson(chart)).RootElement;

    private static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();
    private static string[] Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();
    private static string AxisTitle(JsonElement fig, string axis) => fig.GetProperty("layout").GetProperty(axis).GetProperty("title").GetProperty("text").GetString()!;

    [Fact]
    public void Heatmap_has_z_rows_labels_titles_and_first_row_on_top()
    {
        var values = new double[,] { { 0.9, 0.1, 0.0 }, { 0.2, 0.3, 0.5 } };
        var fig = Figure(Charts.Heatmap(values, new[] { "k0", "k1", "k2" }, new[] { "q0", "q1" }, "Attention",
            xTitle: "key", yTitle: "query"));

        var trace = fig.GetProperty("data")[0];
        Assert.Equal("heatmap", trace.GetProperty("type").GetString());
        var z = trace.GetProperty("z");
        Assert.Equal(2, z.GetArrayLength());
        Assert.Equal(new[] { 0.9, 0.1, 0.0 }, Doubles(z[0]));
        Assert.Equal(new[] { 0.2, 0.3, 0.5 }, Doubles(z[1]));
        Assert.Equal(new[] { "k0", "k1", "k2" }, Strings(trace.GetProperty("x")));
        Assert.Equal(new[] { "q0", "q1" }, Strings(trace.GetProperty("y")));

        var layout = fig.GetProperty("layout");
        Assert.Equal("Attention", layout.GetProperty("title").GetProperty("text").GetString());
        Assert.Equal("key", AxisTitle(fig, "xaxis"));
        Assert.Equal("query", AxisTitle(fig, "yaxis"));
        Assert.Equal("reversed", layout.GetProperty("yaxis").GetProperty("autorange").GetString());
    }

    [Fact]
    public void Heatmap_keeps_repeated_labels_as_distinct_cells()
    {
        var fig = Figure(Charts.Heatmap(new double[2, 3], new[] { "the", "cat", "the" }, new[] { "a", "a" }, "t"));
        var x = Strings(fig.GetProperty("data")[0].GetProperty("x"));
        Assert.Equal(3, x.Distinct().Count());
        Assert.Equal(new[] { "the", "cat", "the" }, x.Select(l => l.Replace("\u200B", "")).ToArray());
        Assert.Equal(2, Strings(fig.GetProperty("data")[0].GetProperty("y")).Distinct().Count());
    }

    [Fact]
    public void Heatmap_rejects_label_counts_that_do_not_match()
    {
        var ex = Assert.Throws<ArgumentException>(() => Charts.Heatmap(new double[2, 3], new[] { "a", "b" }, new[] { "x", "y" }, "t"));
        Assert.Contains("2x3", ex.Message);
    }

    [Fact]
    public void Lines_has_one_scatter_line_per_series()
    {
        var fig = Figure(Charts.Lines("Loss", "step", "loss",
            ("train", new[] { 0.0, 1, 2 }, new[] { 3.0, 2, 1.5 }),
            ("valid", new[] { 0.0, 2 }, new[] { 3.1, 1.9 })));

        var data = fig.GetProperty("data");
        Assert.Equal(2, data.GetArrayLength());
        foreach (var t in data.EnumerateArray())
        {
            Assert.Equal("scatter", t.GetProperty("type").GetString());
            Assert.Equal("lines", t.GetProperty("mode").GetString());
        }
        Assert.Equal("train", data[0].GetProperty("name").GetString());
        Assert.Equal(new[] { 0.0, 1, 2 }, Doubles(data[0].GetProperty("x")));
        Assert.Equal(new[] { 3.0, 2, 1.5 }, Doubles(data[0].GetProperty("y")));
        Assert.Equal("valid", data[1].GetProperty("name").GetString());
        Assert.Equal(new[] { 3.1, 1.9 }, Doubles(data[1].GetProperty("y")));
        Assert.Equal("Loss", fig.GetProperty("layout").GetProperty("title").GetProperty("text").GetString());
        Assert.Equal("step", AxisTitle(fig, "xaxis"));
        Assert.Equal("loss", AxisTitle(fig, "yaxis"));
    }

    [Fact]
    public void Points_are_labelled_markers_with_an_optional_log_x_axis()
    {
        var fig = Figure(Charts.Points("F1 vs trainable", "trainable %", "F1", logX: true,
            ("methods", new[] { 100.0, 0.9, 0.01 }, new[] { 0.8, 0.79, 0.6 }, new[] { "full", "lora", "bitfit" })));
        var t = fig.GetProperty("data")[0];
        Assert.Equal("markers+text", t.GetProperty("mode").GetString());
        Assert.Equal(new[] { "full", "lora", "bitfit" }, Strings(t.GetProperty("text")));
        Assert.Equal(new[] { 100.0, 0.9, 0.01 }, Doubles(t.GetProperty("x")));
        Assert.Equal("log", fig.GetProperty("layout").GetProperty("xaxis").GetProperty("type").GetString());
        var linear = Figure(Charts.Points("t", "x", "y", logX: false, ("s", new[] { 1.0 }, new[] { 2.0 }, new[] { "a" })));
        Assert.False(linear.GetProperty("layout").GetProperty("xaxis").TryGetProperty("type", out _));
        Assert.Throws<ArgumentException>(() => Charts.Points("t", "x", "y", false, ("s", new[] { 1.0 }, new[] { 2.0 }, new[] { "a", "b" })));
    }

    [Fact]
    public void Lines_rejects_series_of_unequal_length()
    {
        var ex = Assert.Throws<ArgumentException>(() => Charts.Lines("t", "x", "y", ("bad", new[] { 1.0 }, new[] { 1.0, 2 })));
        Assert.Contains("bad", ex.Message);
    }

    [Fact]
    public void Bars_are_grouped_bars_per_category()
    {
        var fig = Figure(Charts.Bars("F1 per type", "entity type", "F1", new[] { "PER", "LOC", "ORG" },
            ("ours", new[] { 0.91, 0.88, 0.80 }), ("article", new[] { 0.93, 0.90, 0.85 })));

        var data = fig.GetProperty("data");
        Assert.Equal(2, data.GetArrayLength());
        Assert.All(data.EnumerateArray(), t => Assert.Equal("bar", t.GetProperty("type").GetString()));
        Assert.Equal(new[] { "PER", "LOC", "ORG" }, Strings(data[1].GetProperty("x")));
        Assert.Equal(new[] { 0.91, 0.88, 0.80 }, Doubles(data[0].GetProperty("y")));
        Assert.Equal("article", data[1].GetProperty("name").GetString());
        Assert.Equal(new[] { 0.93, 0.90, 0.85 }, Doubles(data[1].GetProperty("y")));

        var layout = fig.GetProperty("layout");
        Assert.Equal("group", layout.GetProperty("barmode").GetString());
        Assert.Equal("F1 per type", layout.GetProperty("title").GetProperty("text").GetString());
        Assert.Equal("entity type", AxisTitle(fig, "xaxis"));
        Assert.Equal("F1", AxisTitle(fig, "yaxis"));
    }

    [Fact]
    public void Html_embeds_the_figure_data()
    {
        var html = Charts.ToHtml(Charts.Lines("Curve", "x", "y", ("s", new[] { 1.0 }, new[] { 2.0 })));
        Assert.Contains("<html", html);
        Assert.Contains("Curve", html);
    }
}
