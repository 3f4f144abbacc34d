using Plotly.NET;
using Plotly.NET.LayoutObjects;

namespace CourseKit.Viz;

/// <summary>
/// Small chart helpers over Plotly.NET 6 (its F# API, usable from this net8.0 library; Plotly.NET.CSharp is
/// net10-only). Each returns a <see cref="GenericChart"/>, which notebook hosts display; <see cref="ToFigureJson"/>
/// gives the plotly.js figure ({"data": [...], "layout": {...}}) for tests and offline rendering.
///
/// Why traces are built as Plotly.NET objects with plotly.js attribute names (SetProperty("z", ...)) instead of
/// Chart.Heatmap/Chart.Line: from C#, F# optional arguments are NOT optional; every one of the 20-75 FSharpOption
/// parameters would have to be passed. The attribute names used here are those of the plotly.js reference
/// (https://plotly.com/javascript/reference/), so the JSON is exactly what you read in the code.
/// </summary>
public static class Charts
{
    /// <summary>
    /// Heatmap of values[row, column]: rows labelled by <paramref name="yLabels"/> (first row at the top, like an
    /// attention map or confusion matrix), columns by <paramref name="xLabels"/>. Repeated labels (the same token
    /// twice) are kept as distinct cells.
    /// </summary>
    public static GenericChart Heatmap(double[,] values, string[] xLabels, string[] yLabels, string title,
        string? xTitle = null, string? yTitle = null, string colorScale = "Viridis")
    {
        int rows = values.GetLength(0), cols = values.GetLength(1);
        if (yLabels.Length != rows || xLabels.Length != cols)
            throw new ArgumentException(
                $"values is {rows}x{cols} (rows x columns) but there are {yLabels.Length} y labels and {xLabels.Length} x labels.");

        var trace = new Trace2D("heatmap");
        trace.SetProperty("z", Enumerable.Range(0, rows)
            .Select(r => Enumerable.Range(0, cols).Select(c => values[r, c]).ToArray()).ToArray());
        trace.SetProperty("x", UniqueLabels(xLabels));
        trace.SetProperty("y", UniqueLabels(yLabels));
        trace.SetProperty("colorscale", colorScale);

        var yAxis = Axis(yTitle);
        yAxis.SetProperty("autorange", "reversed"); // row 0 on top
        return Build(new[] { trace }, title, Axis(xTitle), yAxis);
    }

    /// <summary>One line per series (name, x, y), e.g. training curves or softmax saturation.</summary>
    public static GenericChart Lines(string title, string xTitle, string yTitle,
        params (string name, double[] x, double[] y)[] series)
    {
        if (series.Length == 0) throw new ArgumentException("at least one series is needed.", nameof(series));
        var traces = series.Select(s =>
        {
            if (s.x.Length != s.y.Length)
                throw new ArgumentException($"series '{s.name}' has {s.x.Length} x values but {s.y.Length} y values.", nameof(series));
            return ScatterTrace("lines", s.name, s.x, s.y);
        }).ToArray();
        return Build(traces, title, Axis(xTitle), Axis(yTitle));
    }

    /// <summary>Labelled points (markers with text), one trace per series (name, x, y, labels), e.g. a metric against the
    /// share of trainable parameters per method; <paramref name="logX"/> puts x on a log scale.</summary>
    public static GenericChart Points(string title, string xTitle, string yTitle, bool logX,
        params (string name, double[] x, double[] y, string[] labels)[] series)
    {
        if (series.Length == 0) throw new ArgumentException("at least one series is needed.", nameof(series));
        var traces = series.Select(s =>
        {
            if (s.x.Length != s.y.Length || s.labels.Length != s.x.Length)
                throw new ArgumentException($"series '{s.name}' has {s.x.Length} x, {s.y.Length} y and {s.labels.Length} labels.", nameof(series));
            var trace = ScatterTrace("markers+text", s.name, s.x, s.y);
            trace.SetProperty("text", s.labels);
            trace.SetProperty("textposition", "top center");
            return trace;
        }).ToArray();
        var xAxis = Axis(xTitle);
        if (logX) xAxis.SetProperty("type", "log");
        return Build(traces, title, xAxis, Axis(yTitle));
    }

    /// <summary>
    /// Grouped vertical bars: one group per category, one bar (colour) per series, e.g. a metric per entity type,
    /// ours next to the article's.
    /// </summary>
    public static GenericChart Bars(string title, string xTitle, string yTitle, string[] categories,
        params (string name, double[] values)[] series)
    {
        if (series.Length == 0) throw new ArgumentException("at least one series is needed.", nameof(series));
        var traces = series.Select(s =>
        {
            if (s.values.Length != categories.Length)
                throw new ArgumentException(
                    $"series '{s.name}' has {s.values.Length} values for {categories.Length} categories.", nameof(series));
            var trace = new Trace2D("bar");
            trace.SetProperty("name", s.name);
            trace.SetProperty("x", categories);
            trace.SetProperty("y", s.values);
            return trace;
        }).ToArray();
        var chart = Build(traces, title, Axis(xTitle), Axis(yTitle));
        var layout = new Layout();
        layout.SetProperty("barmode", "group");
        return GenericChart.addLayout(layout, chart);
    }

    static Trace2D ScatterTrace(string mode, string name, double[] x, double[] y)
    {
        var trace = new Trace2D("scatter");
        trace.SetProperty("mode", mode);
        trace.SetProperty("name", name);
        trace.SetProperty("x", x);
        trace.SetProperty("y", y);
        return trace;
    }

    /// <summary>The plotly.js figure JSON (data + layout) of a chart.</summary>
    public static string ToFigureJson(GenericChart chart) => GenericChart.toFigureJson(chart);

    /// <summary>A standalone HTML page (loads plotly.js from its CDN when opened).</summary>
    public static string ToHtml(GenericChart chart) => GenericChart.toEmbeddedHTML(chart);

    private static GenericChart Build(Trace[] traces, string title, LinearAxis xAxis, LinearAxis yAxis)
    {
        // useDefaults: false leaves out Plotly.NET's default template (plotly.js styles the chart itself); serialising
        // that template made every figure ~1 s slower.
        var chart = GenericChart.ofTraceObjects(false, traces);
        var layout = new Layout();
        layout.SetProperty("title", TitleOf(title));
        layout.SetProperty("xaxis", xAxis);
        layout.SetProperty("yaxis", yAxis);
        return GenericChart.addLayout(layout, chart);
    }

    private static LinearAxis Axis(string? title)
    {
        var axis = new LinearAxis();
        if (title is not null) axis.SetProperty("title", TitleOf(title));
        return axis;
    }

    private static Title TitleOf(string text)
    {
        var title = new Title();
        title.SetProperty("text", text);
        return title;
    }

    /// <summary>
    /// Plotly merges equal category labels into one row/column; append zero-width spaces to repeats so that
    /// "the ... the" stays two cells while looking the same.
    /// </summary>
    internal static string[] UniqueLabels(string[] labels)
    {
        var seen = new Dictionary<string, int>();
        return labels.Select(l =>
        {
            int n = seen.TryGetValue(l, out var c) ? c : 0;
            seen[l] = n + 1;
            return n == 0 ? l : l + new string('\u200B', n);
        }).ToArray();
    }
}
