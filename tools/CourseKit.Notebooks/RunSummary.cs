using System.Text.Json.Nodes;

namespace CourseKit.Notebooks;

/// <summary>run-summary.json: per notebook its status, cells, duration and failing cell.</summary>
public static class RunSummary
{
    public static JsonObject ToJson(IReadOnlyList<NotebookRunResult> results, TimeSpan duration, NotebookRunOptions options)
    {
        var notebooks = new JsonArray();
        foreach (var r in results)
        {
            var failed = r.FailedCell;
            notebooks.Add(new JsonObject
            {
                ["notebook"] = r.NotebookPath,
                ["status"] = r.Succeeded ? "ok" : "error",
                ["duration_s"] = Math.Round(r.Duration.TotalSeconds, 3),
                ["cells"] = r.Cells.Count,
                ["code_cells_run"] = r.Cells.Count(c => c.Status is "ok" or "error"),
                ["failed_cell"] = failed is null ? null : new JsonObject
                {
                    ["cell"] = failed.Injected ? null : failed.Number,
                    ["code_cell"] = failed.CodeIndex,
                    ["injected_parameters"] = failed.Injected,
                    ["line"] = failed.Error?.Line,
                    ["kind"] = failed.Error?.Kind,
                    ["error"] = failed.Error is { } e ? $"{e.Name}: {e.Message}" : null,
                },
                ["error"] = r.FailureMessage,
                ["parameters"] = r.Parameters.DeepClone(),
                ["output_notebook"] = r.OutputNotebookPath,
                ["output_html"] = r.OutputHtmlPath,
                ["memory"] = r.Memory is not { } m ? null : new JsonObject
                {
                    ["peak_resident_mb"] = Math.Round(m.PeakBytes / 1048576.0, 1),
                    ["resident_after_mb"] = Math.Round(m.ResidentAfterBytes / 1048576.0, 1),
                    ["peak_measure"] = m.PeakMeasure,
                },
            });
        }
        return new JsonObject
        {
            ["status"] = results.All(r => r.Succeeded) ? "ok" : "error",
            ["duration_s"] = Math.Round(duration.TotalSeconds, 3),
            ["profile"] = options.Profile,
            ["seed"] = options.Seed,
            ["threads"] = options.Threads,
            ["notebooks"] = notebooks,
        };
    }
}
