using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using CourseKit.Reporting;
using Microsoft.CodeAnalysis;

namespace CourseKit.Notebooks;

/// <summary>Runs Polyglot C# notebooks headless: cells in order on one Roslyn script state, outputs captured into the
/// notebook, then the executed .ipynb, an offline HTML page and run-summary.json written to the output folder.</summary>
public sealed class NotebookRunner
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
            var result = await new Execution(notebook, _options, logPrefix, stdout).RunAsync(cancellationToken);
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

    static void WriteOutputs(NotebookRunResult result, string outDir)
    {
        Directory.CreateDirectory(outDir);
        var name = Path.GetFileNameWithoutExtension(result.NotebookPath);
        result.OutputNotebookPath = Path.Combine(outDir, name + ".ipynb");
        result.OutputHtmlPath = Path.Combine(outDir, name + ".html");
        result.Executed.Save(result.OutputNotebookPath);
        File.WriteAllText(result.OutputHtmlPath, HtmlExporter.Render(result.Executed, name));
    }

    /// <summary>One notebook's run: the state that lives from the first cell to the last.</summary>
    sealed class Execution
    {
        readonly NotebookDocument _doc;
        readonly NotebookRunOptions _options;
        readonly string _logPrefix;
        readonly TextWriter _console;
        readonly string _baseDir;
        readonly List<CellRunResult> _results = new();
        readonly List<string> _notes = new();
        CellOutputs? _current;
        int _executionCount;

        public Execution(NotebookDocument source, NotebookRunOptions options, string logPrefix, TextWriter console)
        {
            _doc = source.Clone();
            _options = options;
            _logPrefix = logPrefix;
            _console = console;
            _baseDir = source.Path is { } p ? Path.GetDirectoryName(Path.GetFullPath(p))! : Directory.GetCurrentDirectory();
        }

        string Name => _doc.Path ?? "notebook";

        public async Task<NotebookRunResult> RunAsync(CancellationToken cancellationToken)
        {
            var clock = Stopwatch.StartNew();
            var started = DateTimeOffset.UtcNow;
            var applied = new JsonObject();
            string? notebookError = null;

            // An executed notebook may come back: drop its injected cell and old outputs.
            for (var i = _doc.Cells.Count - 1; i >= 0; i--)
                if (_doc.Cells[i].Tags.Contains(NotebookParameters.InjectedTag)) _doc.RemoveCell(i);
            foreach (var cell in _doc.Cells.Where(c => c.CellType == "code"))
            {
                cell.Outputs.Clear();
                cell.ExecutionCount = null;
            }

            List<ParameterOverride> overrides = new();
            try { overrides = NotebookParameters.Collect(_doc, _options.Profile, _options.Parameters, _options.Seed, _notes); }
            catch (NotebookParameterException e) { notebookError = e.Message; }
            var parametersIndex = _doc.Cells.FindIndex(c => c.CellType == "code" && c.Tags.Contains(NotebookParameters.ParametersTag));
            if (notebookError is null && parametersIndex < 0 && overrides.Any(o => o.Source != "--seed"))
                notebookError = $"parameters given ({string.Join(", ", overrides.Select(o => o.Name))}) but no cell is tagged \"{NotebookParameters.ParametersTag}\"";

            var globals = new NotebookGlobals(() => _current ?? throw new InvalidOperationException("display() called while no cell is running"));
            var session = new ScriptSession(globals);
            Console.SetOut(new CellStreamWriter("stdout", () => _current, _console));
            Console.SetError(new CellStreamWriter("stderr", () => _current, _console));
            Reporter.Current = new NotebookReportSink(globals);

            var failed = notebookError is not null;
            var sourceCells = _doc.Cells.ToList();
            var codeCells = sourceCells.Count(c => c.CellType == "code");
            var codeIndex = 0;
            for (var i = 0; i < sourceCells.Count; i++)
            {
                var cell = sourceCells[i];
                int? code = cell.CellType == "code" ? ++codeIndex : null;
                if (failed)
                {
                    Record(cell, i + 1, code, code is null ? "not-run" : "skipped", TimeSpan.Zero, null, null);
                    continue;
                }
                if (code is null)
                {
                    Record(cell, i + 1, null, "passthrough", TimeSpan.Zero, null, null);
                    continue;
                }
                Log($"cell {i + 1}/{sourceCells.Count} (code {code}/{codeCells}) · {clock.Elapsed.TotalSeconds:0.0} s");
                var result = await RunCellAsync(session, cell, i + 1, code, cancellationToken);
                failed = result.Status == "error";
                if (failed || i != parametersIndex || overrides.Count == 0) continue;

                var injected = NotebookCell.Code("", NotebookParameters.InjectedTag);
                _doc.InsertCell(_doc.Cells.IndexOf(cell) + 1, injected);
                try
                {
                    var (source, values) = NotebookParameters.BuildInjected(overrides, session.Variables, $"the parameters cell (cell {i + 1})");
                    injected.Source = source;
                    applied = values;
                    failed = (await RunCellAsync(session, injected, 0, null, cancellationToken)).Status == "error";
                }
                catch (NotebookParameterException e)
                {
                    injected.Source = "// Parameters injected by course run: none applied (see the error below)\n";
                    FailCell(injected, 0, null, new CellError("parameters", "ParameterError", e.Message, null), TimeSpan.Zero);
                    failed = true;
                }
            }

            var status = notebookError is null && !_results.Any(r => r.Status == "error") ? "ok" : "error";
            WriteRunMetadata(started, clock.Elapsed, status, applied, notebookError);
            Log($"{(status == "ok" ? "ok" : "FAILED")} in {clock.Elapsed.TotalSeconds:0.0} s");
            return new NotebookRunResult
            {
                NotebookPath = _doc.Path ?? "notebook", Executed = _doc, Cells = _results, Duration = clock.Elapsed,
                Parameters = applied, Notes = _notes, NotebookError = notebookError,
            };
        }

        async Task<CellRunResult> RunCellAsync(ScriptSession session, NotebookCell cell, int number, int? codeIndex, CancellationToken ct)
        {
            var clock = Stopwatch.StartNew();
            var label = number == 0 ? $"{Name}, the injected-parameters cell" : $"{Name}, cell {number} (code cell {codeIndex})";
            CellDirectives directives;
            try
            {
                directives = CellDirectives.Parse(cell.Source, cell.MetadataLanguage ?? _doc.DefaultLanguage, label);
                if (directives.Language == CellLanguages.Markdown)
                    return Record(cell, number, codeIndex, "passthrough", clock.Elapsed, null, null);
                if (directives.Language != CellLanguages.CSharp)
                    throw new NotebookDirectiveException(
                        $"{label} is a {directives.Language} cell; the CourseKit runner runs C# cells only (Polyglot's other kernels are not available)");
                session.AddReferences(ResolveReferences(directives, label));
                _notes.AddRange(directives.Notes);
            }
            catch (NotebookDirectiveException e)
            {
                var kind = e.Message.Contains(" cell; ") || e.Message.Contains("switches to") ? "language" : "directive";
                return FailCell(cell, number, codeIndex, new CellError(kind, "DirectiveError", e.Message, null), clock.Elapsed);
            }

            var outputs = new CellOutputs(cell.Outputs);
            _current = outputs;
            var count = ++_executionCount;
            cell.ExecutionCount = count;
            SubmissionResult submission;
            try
            {
                submission = await session.RunAsync(directives.Code, CellFileName(number, codeIndex), ct);
            }
            finally
            {
                _current = null;
            }
            if (submission.CompileErrors.Count > 0)
            {
                var first = submission.CompileErrors[0];
                var line = first.Location.GetLineSpan().StartLinePosition.Line + 1;
                var messages = submission.CompileErrors.Select(d =>
                    $"line {d.Location.GetLineSpan().StartLinePosition.Line + 1}, col {d.Location.GetLineSpan().StartLinePosition.Character + 1}: {d.Id}: {d.GetMessage(CultureInfo.InvariantCulture)}");
                return FailCell(cell, number, codeIndex, new CellError("compile", "CompilationError", string.Join("; ", messages), line), clock.Elapsed, outputs);
            }
            if (submission.Exception is { } ex)
            {
                var inner = ex is AggregateException { InnerExceptions.Count: 1 } agg ? agg.InnerExceptions[0] : ex;
                return FailCell(cell, number, codeIndex, new CellError("runtime", inner.GetType().Name, inner.Message, submission.ExceptionLine),
                    clock.Elapsed, outputs, inner.ToString());
            }
            if (submission.HasTrailingExpression)
                outputs.AddResult(DisplayFormatter.Format(submission.ReturnValue), count);
            outputs.Flush();
            return Record(cell, number, codeIndex, "ok", clock.Elapsed, outputs, null);
        }

        static string CellFileName(int number, int? codeIndex) => number == 0 ? "injected-parameters.csx" : $"cell-{number}.csx";

        IEnumerable<string> ResolveReferences(CellDirectives directives, string label)
        {
            foreach (var package in directives.Packages)
            {
                PackagePins.Check(package, label);
                var host = PackagePins.HostPackage(package.Name);
                var assemblies = HostAssemblies.PackageAssemblies(host);
                if (assemblies is null)
                    throw new NotebookDirectiveException(
                        $"{label}, line {package.Line}: {package.Name} is pinned but the runner host does not carry package '{host}'");
                foreach (var path in assemblies) yield return path;
            }
            foreach (var file in directives.Files)
            {
                var full = Path.GetFullPath(Path.Combine(_baseDir, file.Path));
                var simple = Path.GetFileNameWithoutExtension(full);
                // A host copy of the same assembly wins: two copies would mean two incompatible sets of the same types.
                var path = HostAssemblies.HostCopy(simple) ?? (File.Exists(full) ? full : null);
                if (path is null)
                    throw new NotebookDirectiveException($"{label}, line {file.Line}: #r \"{file.Path}\": file not found ({full})");
                yield return path;
            }
        }

        CellRunResult FailCell(NotebookCell cell, int number, int? codeIndex, CellError error, TimeSpan duration,
            CellOutputs? outputs = null, string? details = null)
        {
            outputs ??= new CellOutputs(cell.Outputs);
            var where = number == 0 ? "injected-parameters cell" : $"cell {number} (code cell {codeIndex})";
            var traceback = new List<string> { $"{error.Name}: {error.Message}", $"   at {where}" + (error.Line is { } l ? $", line {l}" : "") };
            if (details is not null)
                traceback.AddRange(details.Split('\n').Skip(1).Select(s => s.TrimEnd('\r'))
                    .TakeWhile(s => !s.Contains("Microsoft.CodeAnalysis.Scripting", StringComparison.Ordinal))
                    .Where(s => !s.StartsWith("--- End of stack trace", StringComparison.Ordinal)));
            outputs.AddError(error.Name, error.Message, traceback);
            outputs.Flush();
            Log($"FAILED at {where}" + (error.Line is { } line ? $", line {line}" : "") + $": {error.Message}");
            return Record(cell, number, codeIndex, "error", duration, outputs, error);
        }

        CellRunResult Record(NotebookCell cell, int number, int? codeIndex, string status, TimeSpan duration, CellOutputs? outputs, CellError? error)
        {
            if (cell.CellType == "code")
            {
                var meta = cell.Metadata["coursekit"] as JsonObject ?? (JsonObject)(cell.Metadata["coursekit"] = new JsonObject());
                meta["status"] = status;
                meta["duration_s"] = Math.Round(duration.TotalSeconds, 3);
            }
            var result = new CellRunResult(number, codeIndex, cell.CellType, status, duration,
                outputs?.Snapshot() ?? (cell.CellType == "code" ? cell.Outputs.OfType<JsonObject>().ToList() : new List<JsonObject>()), error);
            _results.Add(result);
            return result;
        }

        void WriteRunMetadata(DateTimeOffset started, TimeSpan duration, string status, JsonObject applied, string? notebookError)
        {
            var kit = _doc.Metadata["coursekit"] as JsonObject ?? (JsonObject)(_doc.Metadata["coursekit"] = new JsonObject());
            var failed = _results.FirstOrDefault(r => r.Status == "error");
            kit["run"] = new JsonObject
            {
                ["runner"] = "CourseKit.Notebooks " + typeof(NotebookRunner).Assembly.GetName().Version,
                ["started_utc"] = started.ToString("O", CultureInfo.InvariantCulture),
                ["duration_s"] = Math.Round(duration.TotalSeconds, 3),
                ["status"] = status,
                ["profile"] = _options.Profile,
                ["seed"] = _options.Seed,
                ["parameters"] = applied.DeepClone(),
                ["failed_cell"] = failed is null ? null : failed.Injected ? "injected-parameters" : failed.Number,
                ["error"] = notebookError ?? failed?.Error?.Message,
                ["notes"] = new JsonArray(_notes.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
            };
        }

        void Log(string message) => _options.Log?.Invoke($"{_logPrefix}{Path.GetFileName(Name)}: {message}");
    }
}
