using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Markdig;

namespace CourseKit.Notebooks;

/// <summary>A standalone HTML page of an executed notebook: markdown rendered, code with its outputs, charts drawn
/// by plotly.js inlined once (no network needed to view it).</summary>
public static class HtmlExporter
{
    static readonly MarkdownPipeline Markdown = new MarkdownPipelineBuilder().UseAdvancedExtensions().Build();

    const string Style = """
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#1f2328}
        .cell{margin:1em 0}.code pre.source{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:.6em;overflow-x:auto}
        .prompt{color:#6e7781;font-size:.8em;font-family:monospace}.output{margin:.3em 0 .3em 1em;overflow-x:auto}
        pre.stream{margin:0;white-space:pre-wrap}pre.stderr{background:#fff5f5;color:#a40e26}
        pre.error{background:#ffebe9;border-left:4px solid #cf222e;padding:.5em;white-space:pre-wrap}
        table.coursekit-dataframe{border-collapse:collapse;font-size:.9em}table.coursekit-dataframe td,table.coursekit-dataframe th{border:1px solid #d0d7de;padding:2px 8px;text-align:right}
        .skipped{opacity:.55}
        """;

    public static string Render(NotebookDocument doc, string title)
    {
        var body = new StringBuilder();
        var hasCharts = false;
        foreach (var cell in doc.Cells)
        {
            if (cell.CellType == "markdown")
            {
                body.Append("<div class=\"cell markdown\">").Append(Markdig.Markdown.ToHtml(cell.Source, Markdown)).Append("</div>\n");
                continue;
            }
            if (cell.CellType != "code")
            {
                body.Append("<div class=\"cell raw\"><pre>").Append(Encode(cell.Source)).Append("</pre></div>\n");
                continue;
            }
            var status = cell.Metadata["coursekit"]?["status"]?.GetValue<string>();
            body.Append("<div class=\"cell code").Append(status == "skipped" ? " skipped" : "").Append("\">");
            body.Append("<div class=\"prompt\">In [").Append(cell.ExecutionCount?.ToString() ?? " ").Append("]")
                .Append(status is null ? "" : " · " + status).Append("</div>");
            body.Append("<pre class=\"source\"><code class=\"language-csharp\">").Append(Encode(cell.Source)).Append("</code></pre>");
            foreach (var output in cell.Outputs.OfType<JsonObject>())
                body.Append("<div class=\"output\">").Append(RenderOutput(output, ref hasCharts)).Append("</div>");
            body.Append("</div>\n");
        }

        var page = new StringBuilder();
        page.Append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>").Append(Encode(title)).Append("</title>\n<style>")
            .Append(Style).Append("</style>\n");
        if (hasCharts)
            page.Append("<script type=\"text/javascript\">").Append(PlotlyFigure.PlotlyJs.Replace("</script", "<\\/script")).Append("</script>\n");
        page.Append("</head><body>\n<h1 class=\"notebook-title\">").Append(Encode(title)).Append("</h1>\n").Append(body).Append("</body></html>\n");
        return page.ToString();
    }

    static string RenderOutput(JsonObject output, ref bool hasCharts)
    {
        switch (output["output_type"]?.GetValue<string>())
        {
            case "stream":
                var name = output["name"]?.GetValue<string>() ?? "stdout";
                return $"<pre class=\"stream {name}\">{Encode(NbText.Read(output["text"]))}</pre>";
            case "error":
                var traceback = (output["traceback"] as JsonArray)?.Select(l => l?.GetValue<string>()) ?? Array.Empty<string>();
                return $"<pre class=\"error\">{Encode(string.Join("\n", traceback))}</pre>";
            default:
                if (output["data"] is not JsonObject data) return "";
                if (data[DisplayFormatter.PlotlyJson] is JsonObject figure)
                {
                    hasCharts = true;
                    var id = "chart-" + Guid.NewGuid().ToString("N")[..12];
                    return $"<div id=\"{id}\" class=\"coursekit-plotly\" style=\"width:100%\"></div>" +
                           "<script type=\"text/javascript\">(function(){var f=" + PlotlyFigure.ScriptSafe(figure.ToJsonString()) +
                           $";Plotly.newPlot('{id}',f.data,f.layout,{{responsive:true}});}})();</script>";
                }
                if (data["text/html"] is { } html) return NbText.Read(html);
                if (data["image/svg+xml"] is { } svg) return NbText.Read(svg);
                if (data["image/png"] is { } png) return $"<img src=\"data:image/png;base64,{NbText.Read(png).Trim()}\"/>";
                if (data["text/markdown"] is { } md) return Markdig.Markdown.ToHtml(NbText.Read(md), Markdown);
                if (data["text/plain"] is { } text) return $"<pre class=\"stream\">{Encode(NbText.Read(text))}</pre>";
                return "";
        }
    }

    static string Encode(string text) => WebUtility.HtmlEncode(text);
}
