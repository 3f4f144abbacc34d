using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CourseKit.Checkpoints;
using CourseKit.Viz;

namespace CourseKit.Tasks.Monitoring;

/// <summary>
/// The outputs of <c>monitor run</c>: alerts.json, index.csv, entities.csv (when a NER model was there) and
/// dashboard.html, a page that works offline: plotly.js is copied in from Plotly.NET's assembly (the same bundle the
/// notebook HTML export embeds), not loaded from a CDN.
/// </summary>
public static class MonitorDashboard
{
    public const string AlertsFile = "alerts.json", IndexFile = "index.csv", EntitiesFile = "entities.csv", DashboardFile = "dashboard.html";

    public static void Write(string dir, MonitorRun run, IReadOnlyList<EntitySentiment>? entities = null)
    {
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllText(Path.Combine(dir, AlertsFile), AlertsJson(run).ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        AtomicFile.WriteAllText(Path.Combine(dir, IndexFile), DailySentimentIndex.ToCsv(run.Days));
        if (entities is not null)
            AtomicFile.WriteAllText(Path.Combine(dir, EntitiesFile), "entity,count,mean_polarity,low,high,negative_share\n" + string.Concat(entities.Select(e =>
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"\"{e.Entity.Replace("\"", "\"\"")}\",{e.Count},{e.MeanPolarity:F4},{e.Low:F4},{e.High:F4},{e.NegativeShare:F4}\n"))));
        var charts = new List<Plotly.NET.GenericChart> { MonitorCharts.DailyIndex(run) };
        if (entities is { Count: > 0 }) charts.Add(MonitorCharts.Entities(entities));
        AtomicFile.WriteAllText(Path.Combine(dir, DashboardFile), Html(run, charts));
    }

    public static JsonObject AlertsJson(MonitorRun run) => new()
    {
        ["rows"] = run.Rows, ["days"] = run.Days.Count, ["seconds"] = Math.Round(run.Seconds, 2), ["rows_per_second"] = Math.Round(run.RowsPerSecond, 1),
        ["reference_negative_share"] = Math.Round(run.Reference, 4),
        ["final_reference_negative_share"] = Math.Round(run.FinalReference, 4),
        ["alerts"] = new JsonArray(run.Alerts.Select(a => (JsonNode)new JsonObject
        {
            ["kind"] = a.Kind, ["day"] = a.Day.ToString("yyyy-MM-dd"), ["since"] = a.Since.ToString("yyyy-MM-dd"), ["detector"] = a.Detector,
            ["statistic"] = Math.Round(a.Statistic, 4), ["negative_share"] = Math.Round(a.NegativeShare, 4), ["reference"] = Math.Round(a.Reference, 4),
            ["message"] = a.Message,
            ["evidence"] = new JsonArray(a.Evidence.Select(e => (JsonNode)new JsonObject
            {
                ["time"] = e.Time.ToString("O"), ["source"] = e.Source, ["text"] = e.Text,
                ["negative_probability"] = Math.Round(e.NegativeProbability, 4), ["file"] = e.File, ["line"] = e.Line,
            }).ToArray()),
        }).ToArray()),
    };

    static string Html(MonitorRun run, IReadOnlyList<Plotly.NET.GenericChart> charts)
    {
        var page = new StringBuilder("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Financial sentiment monitor</title>\n");
        page.Append("<style>body{font-family:sans-serif;margin:2em;max-width:1100px}td,th{border-bottom:1px solid #ddd;padding:4px;text-align:left;vertical-align:top}.out-of-domain{color:#a60}.sentiment-shift{color:#b00}</style>\n");
        page.Append("<script type=\"text/javascript\">").Append(PlotlyJs.Value.Replace("</script", "<\\/script")).Append("</script>\n</head><body>\n");
        page.Append($"<h1>Financial sentiment monitor</h1>\n<p>{run.Rows:N0} texts over {run.Days.Count} days, scored at {run.RowsPerSecond:N0} rows/s; reference negative share {run.Reference:P1}{(run.FinalReference != run.Reference ? $" (moved by the alerts to {run.FinalReference:P1})" : "")}; {run.Alerts.Count} alert(s).</p>\n");
        for (int i = 0; i < charts.Count; i++)
        {
            var figure = JsonNode.Parse(Charts.ToFigureJson(charts[i]))!.AsObject();
            var json = new JsonObject { ["data"] = figure["data"]?.DeepClone(), ["layout"] = figure["layout"]?.DeepClone() }.ToJsonString().Replace("</", "<\\/");
            page.Append($"<div id=\"chart{i}\" style=\"width:100%;height:480px\"></div>\n<script>(function(){{var f={json};Plotly.newPlot('chart{i}',f.data,f.layout,{{responsive:true}});}})();</script>\n");
        }
        page.Append("<h2>Alerts</h2>\n<table><tr><th>day</th><th>kind</th><th>what</th><th>evidence</th></tr>\n");
        foreach (var a in run.Alerts)
            page.Append($"<tr class=\"{a.Kind}\"><td>{a.Day:yyyy-MM-dd}</td><td>{a.Kind}</td><td>{WebUtility.HtmlEncode(a.Message)}</td><td><ul>")
                .Append(string.Concat(a.Evidence.Select(e => $"<li>{WebUtility.HtmlEncode(e.Text)} <small>({e.NegativeProbability:F2}, {WebUtility.HtmlEncode(e.Source)}, {WebUtility.HtmlEncode(Path.GetFileName(e.File))}:{e.Line})</small></li>")))
                .Append("</ul></td></tr>\n");
        page.Append("</table>\n</body></html>\n");
        return page.ToString();
    }

    static readonly Lazy<string> PlotlyJs = new(() =>
    {
        var assembly = typeof(Plotly.NET.GenericChart).Assembly;
        var name = assembly.GetManifestResourceNames().FirstOrDefault(n => n.EndsWith(".min.js", StringComparison.Ordinal))
                   ?? throw new InvalidOperationException($"plotly.js not found among {assembly.GetName().Name}'s resources");
        using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
        return reader.ReadToEnd();
    });
}
