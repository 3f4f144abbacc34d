using System.Diagnostics;
using System.Text.Json.Nodes;
using CourseKit.Native;
using CourseKit.Reporting;

namespace CourseKit.Notebooks;

/// <summary>Runs Polyglot C# notebooks headless: cells in order on one Roslyn script state, outputs captured into the
/// notebook, then the executed .ipynb, an offline HTML page and run-summary.json written to the output folder.</summary>
public sealed partial class NotebookRunner
{
    // Console and Reporter.Current are process-wide: one notebook at a time per process.
    static readonly SemaphoreSlim OneAtATime = new(1, 1);

    readonly NotebookRunOptions _options;

    public NotebookRunner(NotebookRunOptions? options = null) => _options = options ?? new NotebookRunOptions();

    /// <summary>Files and folders → notebook paths (a folder gives its *.ipynb sorted by name; names starting
    /// with '_' are skipped in folders).</summary>
    public static IReadOnlyList<string> ExpandInputs(IEnumerable<string> inputs)
    {
        var paths = new List<string>();
        foreach (var input in inputs)
        {
            if (Directory.Exists(input))
                paths.AddRange(Directory.EnumerateFiles(input, "*.ipynb")
                    .Where(p => !Path.GetFileName(p).StartsWith('_'))
                    .Order(StringComparer.Ordinal));
            else if (File.Exists(input)) paths.Add(input);
            else throw new FileNotFoundException($"notebook or folder not found: {input}", input);
        }
        return paths;
    }

    /// <summary>Runs every notebook (continuing after failures unless FailFast) and writes run-summary.json.</summary>
    public async Task<NotebookRunReport> RunAllAsync(IReadOnlyList<string> notebookPaths, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var results = new List<NotebookRunResult>();
        for (var k = 0; k < notebookPaths.Count; k++)
        {
            _options.Log?.Invoke($"[{k + 1}/{notebookPaths.Count}] {notebookPaths[k]}");
            var result = await RunAsync(notebookPaths[k], cancellationToken, $"[{k + 1}/{notebookPaths.Count}] ");
            results.Add(result);
            if (!result.Succeeded && _options.FailFast) break;
        }
        string? summaryPath = null;
        if (_options.OutputDirectory is { } outDir)
        {
            Directory.CreateDirectory(outDir);
            summaryPath = Path.Combine(outDir, "run-summary.json");
            File.WriteAllText(summaryPath, RunSummary.ToJson(results, clock.Elapsed, _options).ToJsonString(new() { WriteIndented = true }));
        }
        return new NotebookRunReport(results, clock.Elapsed, summaryPath);
    }

    public Task<NotebookRunResult> RunAsync(string notebookPath, CancellationToken cancellationToken = default) =>
        RunAsync(notebookPath, cancellationToken, "");

    async Task<NotebookRunResult> RunAsync(string notebookPath, CancellationToken cancellationToken, string logPrefix)
    {
        NotebookDocument doc;
        try { doc = NotebookDocument.Load(notebookPath); }
        catch (Exception e) when (e is NotebookFormatException or IOException)
        {
            return new NotebookRunResult
            {
                NotebookPath = notebookPath, Executed = NotebookDocument.Create(Array.Empty<NotebookCell>()), Cells = Array.Empty<CellRunResult>(),
                Duration = TimeSpan.Zero, Parameters = new JsonObject(), Notes = Array.Empty<string>(), NotebookError = e.Message,
            };
        }
        return await RunAsync(doc, cancellationToken, logPrefix);
    }

    /// <summary>Runs an in-memory notebook; relative `#r` paths resolve against its Path's folder (else the current folder).</summary>
    public Task<NotebookRunResult> RunAsync(NotebookDocument notebook, CancellationToken cancellationToken = default) =>
        RunAsync(notebook, cancellationToken, "");

    async Task<NotebookRunResult> RunAsync(NotebookDocument notebook, CancellationToken cancellationToken, string logPrefix)
    {
        await OneAtATime.WaitAsync(cancellationToken);
        var (stdout, stderr, reporter) = (Console.Out, Console.Error, Reporter.Current);
        try
        {
            var measure = ProcessMemory.ResetPeak(collectFirst: !_releasedAtLastEnd);   // one collection per notebook boundary
            _releasedAtLastEnd = false;
            var result = await new Execution(notebook, _options, logPrefix, stdout).RunAsync(cancellationToken);
            result.Memory = MemoryAfter(measure);
            _releasedAtLastEnd = true;
            _options.Log?.Invoke($"{logPrefix}{Path.GetFileName(result.NotebookPath)}: {result.Memory}");
            if (_options.OutputDirectory is { } outDir) WriteOutputs(result, outDir);
            return result;
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
            Reporter.Current = reporter;
            OneAtATime.Release();
        }
    }

    /// <summary>True when the last notebook's end released what it dropped (guarded by OneAtATime): the next start
    /// need not collect again.</summary>
    static bool _releasedAtLastEnd;

    /// <summary>The notebook's script state is unreachable once its execution returns: its tensors are collected
    /// here, not left to whichever later notebook triggers a collection.</summary>
    static NotebookMemory MemoryAfter(string peakMeasure)
    {
        long peak = ProcessMemory.PeakBytes();
        ProcessMemory.ReleaseDropped();
        return new NotebookMemory(peak, ProcessMemory.ResidentBytes(), peakMeasure);
    }

    static void WriteOutputs(NotebookRunResult result, string outDir)
    {
        Directory.CreateDirectory(outDir);
        var name = Path.GetFileNameWithoutExtension(result.NotebookPath);
        result.OutputNotebookPath = Path.Combine(outDir, name + ".ipynb");
        result.OutputHtmlPath = Path.Combine(outDir, name + ".html");
        result.Executed.Save(result.OutputNotebookPath);
        File.WriteAllText(result.OutputHtmlPath, HtmlExporter.Render(result.Executed, name));
    }
}
