using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;
using Microsoft.DotNet.Interactive.Formatting;

namespace CourseKit.Notebooks;

/// <summary>Turns a value into an nbformat MIME bundle, the way .NET Interactive's display() does, with the kit's
/// own formatters for DataFrame (a real table) and Plotly.NET charts (figure JSON, rendered offline).</summary>
public static class DisplayFormatter
{
    public const string Html = "text/html";
    public const string Plain = "text/plain";
    public const string PlotlyJson = "application/vnd.plotly.v1+json";
    public const int DataFrameRowCap = 50;

    static readonly object InitGate = new();
    static bool _registered;

    /// <summary>Registers the DataFrame formatters with .NET Interactive's Formatter (idempotent).</summary>
    public static void EnsureRegistered()
    {
        lock (InitGate)
        {
            if (_registered) return;
            Formatter.Register<DataFrame>((df, writer) => writer.Write(DataFrameHtml(df)), Html);
            Formatter.Register<DataFrame>((df, writer) => writer.Write(DataFrameText(df)), Plain);
            _registered = true;
        }
    }

    /// <summary>The nbformat "data" object for a value; <paramref name="mimeTypes"/> empty = the kit's default set.</summary>
    public static JsonObject Format(object? value, IReadOnlyList<string>? mimeTypes = null)
    {
        EnsureRegistered();
        var data = new JsonObject();
        switch (value)
        {
            case null:
                data[Plain] = "<null>";
                return data;
            case MimeBundle bundle:
                foreach (var (mime, text) in bundle.Data) data[mime] = text;
                return data;
            case Plotly.NET.GenericChart chart:
                var figure = PlotlyFigure.Json(chart);
                data[PlotlyJson] = figure;
                data[Html] = PlotlyFigure.Div(figure);
                data[Plain] = "Plotly chart (open the HTML export or a notebook front end to see it)";
                return data;
        }
        var mimes = mimeTypes is { Count: > 0 } ? mimeTypes
            : IsPlainValue(value) || DescribesItself(value) ? new[] { Plain }
            : new[] { Html, Plain };
        foreach (var mime in mimes)
            // A string given with explicit MIME types is content already in that format (display(html, "text/html")).
            data[mime] = value is string s && (mime == Plain || mimeTypes is { Count: > 0 }) ? s
                : mime == Plain && DescribesItself(value) ? value.ToString() ?? ""
                : Formatter.ToDisplayString(value, mime);
        return data;
    }

    /// <summary>Strings, numbers, enums and dates show as text (the HTML formatter adds a style block to each).</summary>
    static bool IsPlainValue(object value) =>
        value is string or bool or char or decimal or DateTime or DateTimeOffset or TimeSpan or Guid || value.GetType().IsPrimitive || value.GetType().IsEnum;

    /// <summary>Kit types that write their own ToString (a load warning, the doctor report) read better as that text
    /// than as a property tree.</summary>
    static bool DescribesItself(object value)
    {
        var type = value.GetType();
        if (type.Assembly != typeof(CourseKit.Reporting.Reporter).Assembly) return false;
        var toString = type.GetMethod(nameof(ToString), Type.EmptyTypes);
        return toString is not null && toString.DeclaringType == type &&
               toString.GetCustomAttributes(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute), false).Length == 0;
    }

    public static string DataFrameHtml(DataFrame df)
    {
        var html = new StringBuilder("<table class=\"coursekit-dataframe\"><thead><tr>");
        foreach (var column in df.Columns) html.Append("<th>").Append(WebUtility.HtmlEncode(column.Name)).Append("</th>");
        html.Append("</tr></thead><tbody>");
        var shown = Math.Min(df.Rows.Count, DataFrameRowCap);
        for (long r = 0; r < shown; r++)
        {
            html.Append("<tr>");
            foreach (var column in df.Columns) html.Append("<td>").Append(WebUtility.HtmlEncode(Cell(column[r]))).Append("</td>");
            html.Append("</tr>");
        }
        html.Append("</tbody></table>");
        if (df.Rows.Count > shown)
            html.Append("<p class=\"coursekit-more-rows\">… ").Append(df.Rows.Count - shown).Append(" more rows</p>");
        return html.ToString();
    }

    public static string DataFrameText(DataFrame df)
    {
        var shown = (int)Math.Min(df.Rows.Count, DataFrameRowCap);
        var table = new string[shown + 1][];
        table[0] = df.Columns.Select(c => c.Name).ToArray();
        for (var r = 0; r < shown; r++) table[r + 1] = df.Columns.Select(c => Cell(c[r])).ToArray();
        var widths = Enumerable.Range(0, table[0].Length).Select(c => table.Max(row => row[c].Length)).ToArray();
        var text = new StringBuilder();
        for (var r = 0; r < table.Length; r++)
        {
            text.AppendLine(string.Join("  ", table[r].Select((cell, c) => cell.PadLeft(widths[c]))).TrimEnd());
            if (r == 0) text.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
        }
        if (df.Rows.Count > shown) text.AppendLine($"… {df.Rows.Count - shown} more rows");
        return text.ToString();
    }

    static string Cell(object? value) => value switch
    {
        null => "null",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
