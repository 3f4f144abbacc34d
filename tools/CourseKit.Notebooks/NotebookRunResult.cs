using System.Text.Json.Nodes;

namespace CourseKit.Notebooks;

/// <summary>Why a cell failed: kind is compile, runtime, directive, parameters or language.</summary>
public sealed record CellError(string Kind, string Name, string Message, int? Line);

/// <summary>One cell of the executed notebook. <see cref="Number"/> is 1-based over all cells of the source notebook
/// (0 for the injected parameters cell); <see cref="CodeIndex"/> is 1-based over its code cells.</summary>
public sealed record CellRunResult(
    int Number,
    int? CodeIndex,
    string CellType,
    string Status,
    TimeSpan Duration,
    IReadOnlyList<JsonObject> Outputs,
    CellError? Error)
{
    public bool Injected => Number == 0;

    /// <summary>"cell 4 (code cell 3)", or "the injected-parameters cell".</summary>
    public string Label => Injected ? "the injected-parameters cell" : CodeIndex is { } k ? $"cell {Number} (code cell {k})" : $"cell {Number}";

    /// <summary>Text of all stream outputs of one name ("stdout" or "stderr").</summary>
    public string Stream(string name) => string.Concat(Outputs
        .Where(o => o["output_type"]?.GetValue<string>() == "stream" && o["name"]?.GetValue<string>() == name)
        .Select(o => NbText.Read(o["text"])));
}

/// <summary>The outcome of running one notebook.</summary>
public sealed class NotebookRunResult
{
    public required string NotebookPath { get; init; }
    public required NotebookDocument Executed { get; init; }
    public required IReadOnlyList<CellRunResult> Cells { get; init; }
    public required TimeSpan Duration { get; init; }
    /// <summary>The overrides applied by the injected cell (name → typed JSON value).</summary>
    public required JsonObject Parameters { get; init; }
    public required IReadOnlyList<string> Notes { get; init; }
    /// <summary>A failure before any cell could run (unreadable notebook, unknown profile).</summary>
    public string? NotebookError { get; init; }
    public string? OutputNotebookPath { get; set; }
    public string? OutputHtmlPath { get; set; }
    /// <summary>The process's memory over this notebook, measured by the runner (null when run by other means).</summary>
    public NotebookMemory? Memory { get; set; }

    public CellRunResult? FailedCell => Cells.FirstOrDefault(c => c.Status == "error");
    public bool Succeeded => NotebookError is null && FailedCell is null;

    /// <summary>The failure as one message: notebook path, cell number and code-cell index, line, exception.</summary>
    public string? FailureMessage => NotebookError is { } e ? $"{NotebookPath}: {e}"
        : FailedCell is { Error: { } err } cell
            ? $"{NotebookPath}: {cell.Label} failed" + (err.Line is { } l ? $" at line {l}" : "") + $": {err.Name}: {err.Message}"
            : null;
}

/// <summary>Resident memory while one notebook ran: its peak (<see cref="CourseKit.Native.ProcessMemory"/>, from the
/// resident set left by the notebooks before it) and what stayed resident after its dropped tensors were collected
/// and the C heap trimmed: what the next notebook in the same process starts from.</summary>
public sealed record NotebookMemory(long PeakBytes, long ResidentAfterBytes, string PeakMeasure)
{
    public override string ToString() => $"peak resident {PeakBytes / 1e9:0.00} GB, {ResidentAfterBytes / 1e9:0.00} GB after";
}

/// <summary>The outcome of a `course run`: every notebook's result, in order.</summary>
public sealed record NotebookRunReport(IReadOnlyList<NotebookRunResult> Notebooks, TimeSpan Duration, string? SummaryPath)
{
    public bool Succeeded => Notebooks.All(n => n.Succeeded);
}
