using System.Text.Json.Nodes;

namespace CourseKit.Notebooks;

/// <summary>Plotly.NET charts as figure JSON (for application/vnd.plotly.v1+json) and the plotly.js bundled in
/// Plotly.NET's assembly, so charts render without a CDN.</summary>
public static class PlotlyFigure
{
    static readonly Lazy<string> Script = new(LoadScript);

    public static JsonObject Json(Plotly.NET.GenericChart chart)
    {
        var figure = JsonNode.Parse(Plotly.NET.GenericChart.toFigureJson(chart)) as JsonObject ?? new JsonObject();
        // Plotly.NET writes `frames: []` and nulls; the plotly mime renderers want plain data/layout.
        return new JsonObject
        {
            ["data"] = figure["data"]?.DeepClone() ?? new JsonArray(),
            ["layout"] = figure["layout"]?.DeepClone() ?? new JsonObject(),
        };
    }

    /// <summary>plotly.js (minified) from Plotly.NET's embedded resource.</summary>
    public static string PlotlyJs => Script.Value;

    /// <summary>A div that draws the figure when plotly.js is on the page (the HTML export puts it there once).</summary>
    public static string Div(JsonObject figure)
    {
        var id = "plotly-" + Guid.NewGuid().ToString("N")[..12];
        return $"<div id=\"{id}\" class=\"coursekit-plotly\" style=\"width:100%;min-height:450px\"></div>\n" +
               "<script type=\"text/javascript\">(function(){var fig=" + ScriptSafe(figure.ToJsonString()) +
               $";var el=document.getElementById('{id}');if(window.Plotly){{Plotly.newPlot(el,fig.data,fig.layout,{{responsive:true}});}}" +
               "else{el.textContent='(chart: needs plotly.js; open the HTML export from course run)';el.style.minHeight='0';}})();</script>";
    }

    /// <summary>JSON embedded in a script element must not close it.</summary>
    public static string ScriptSafe(string json) => json.Replace("</", "<\\/");

    static string LoadScript()
    {
        var assembly = typeof(Plotly.NET.GenericChart).Assembly;
        var name = assembly.GetManifestResourceNames().FirstOrDefault(n => n.EndsWith(".min.js", StringComparison.Ordinal))
                   ?? throw new InvalidOperationException($"plotly.js not found among {assembly.GetName().Name}'s resources");
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
