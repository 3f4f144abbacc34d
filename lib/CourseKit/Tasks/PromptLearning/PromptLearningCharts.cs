using Plotly.NET;
using Plotly.NET.LayoutObjects;
using Plotly.NET.TraceObjects;

namespace CourseKit.Tasks.PromptLearning;

/// <summary>The chapter's two charts: zero-shot accuracy per phrasing (sensitivity to wording) and the few-shot
/// table as bars with ± sd error bars. Built like <see cref="Viz.Charts"/>: plotly.js attribute names on Plotly.NET objects.</summary>
public static class PromptLearningCharts
{
    /// <summary>Evaluation accuracy of every phrasing alone and of the ensembles, one bar each.</summary>
    public static GenericChart PhrasingSensitivity(ZeroShotResult result)
    {
        var rows = result.Phrasings.Append(result.Ensemble).Append(result.CalibratedEnsemble).ToArray();
        return Viz.Charts.Bars($"{result.Task}: zero-shot accuracy depends on the wording ({result.EvaluationName})", "phrasing", "accuracy",
            rows.Select(r => r.Name.Length > 40 ? r.Name[..39] + "…" : r.Name).ToArray(),
            ("evaluation accuracy", rows.Select(r => r.Evaluation.Accuracy).ToArray()),
            ("tuning accuracy (training pool)", rows.Select(r => r.TuningAccuracy).ToArray()));
    }

    /// <summary>Mean accuracy per method and K with ± one standard deviation over seeds; reference rows as dashed lines.</summary>
    public static GenericChart FewShotBars(FewShotResult result)
    {
        var methods = result.Summary.Select(s => s.Method).Distinct().ToArray();
        var traces = new List<Trace>();
        foreach (int k in result.Summary.Select(s => s.K).Distinct().Order())
        {
            var rows = methods.Select(m => result.Summary.FirstOrDefault(s => s.Method == m && s.K == k)).ToArray();
            var trace = new Trace2D("bar");
            trace.SetProperty("name", $"K = {k}");
            trace.SetProperty("x", methods);
            trace.SetProperty("y", rows.Select(r => r?.AccuracyMean ?? double.NaN).ToArray());
            var error = new Error();
            error.SetProperty("type", "data");
            error.SetProperty("array", rows.Select(r => r?.AccuracySd ?? 0).ToArray());
            error.SetProperty("visible", true);
            trace.SetProperty("error_y", error);
            traces.Add(trace);
        }
        foreach (var reference in result.References)
        {
            var line = new Trace2D("scatter");
            line.SetProperty("mode", "lines");
            line.SetProperty("name", $"{(string?)reference["method"]} {(double?)reference["accuracy"]:F3}");
            line.SetProperty("x", methods);
            line.SetProperty("y", methods.Select(_ => (double?)reference["accuracy"] ?? double.NaN).ToArray());
            var style = new Line();
            style.SetProperty("dash", "dash");
            line.SetProperty("line", style);
            traces.Add(line);
        }
        var chart = GenericChart.ofTraceObjects(false, traces.ToArray());
        var layout = new Layout();
        layout.SetProperty("title", Title($"{result.Task}: few-shot accuracy, mean ± sd over seeds ({result.EvaluationCount} evaluation sentences)"));
        layout.SetProperty("barmode", "group");
        var y = new LinearAxis();
        y.SetProperty("title", Title("accuracy"));
        layout.SetProperty("yaxis", y);
        return GenericChart.addLayout(layout, chart);
    }

    static Title Title(string text)
    {
        var title = new Title();
        title.SetProperty("text", text);
        return title;
    }
}
