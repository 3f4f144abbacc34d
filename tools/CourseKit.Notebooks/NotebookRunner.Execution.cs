using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using CourseKit.Reporting;

namespace CourseKit.Notebooks;

public sealed partial class NotebookRunner
{
    /// <summary>One notebook's run: the state that lives from the first cell to the last. This part runs the cells in
    /// order and injects the parameters; NotebookRunner.Cells.cs runs one cell and records what it did.</summary>
    sealed partial class Execution
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
            ClearPreviousRun();
            var (overrides, notebookError) = CollectOverrides();
            var parametersIndex = _doc.Cells.FindIndex(c => c.CellType == "code" && c.Tags.Contains(NotebookParameters.ParametersTag));
            if (notebookError is null && parametersIndex < 0 && overrides.Any(o => !NotebookParameters.IsRunnerOption(o)))
                notebookError = $"parameters given ({string.Join(", ", overrides.Select(o => o.Name))}) but no cell is tagged \"{NotebookParameters.ParametersTag}\"";

            var session = StartSession();
            var applied = await RunCellsAsync(session, overrides, parametersIndex, notebookError is not null, clock, cancellationToken);

            var status = notebookError is null && !_results.Any(r => r.Status == "error") ? "ok" : "error";
            WriteRunMetadata(started, clock.Elapsed, status, applied, notebookError);
            Log($"{(status == "ok" ? "ok" : "FAILED")} in {clock.Elapsed.TotalSeconds:0.0} s");
            return new NotebookRunResult
            {
                NotebookPath = _doc.Path ?? "notebook", Executed = _doc, Cells = _results, Duration = clock.Elapsed,
                Parameters = applied, Notes = _notes, NotebookError = notebookError,
            };
        }

        /// <summary>An executed notebook may come back: drop its injected cell and old outputs.</summary>
        void ClearPreviousRun()
        {
            for (var i = _doc.Cells.Count - 1; i >= 0; i--)
                if (_doc.Cells[i].Tags.Contains(NotebookParameters.InjectedTag)) _doc.RemoveCell(i);
            foreach (var cell in _doc.Cells.Where(c => c.CellType == "code"))
            {
                cell.Outputs.Clear();
                cell.ExecutionCount = null;
            }
        }

        /// <summary>The parameter overrides (profile, --param, --seed, --threads) this notebook takes, or why it takes none.</summary>
        (List<ParameterOverride> Overrides, string? Error) CollectOverrides()
        {
            try { return (NotebookParameters.Collect(_doc, _options.Profile, _options.Parameters, _options.Seed, _notes, _options.Threads), null); }
            catch (NotebookParameterException e) { return (new List<ParameterOverride>(), e.Message); }
        }

        /// <summary>A fresh script state, with the console and the reporter sending into the running cell.</summary>
        ScriptSession StartSession()
        {
            var globals = new NotebookGlobals(() => _current ?? throw new InvalidOperationException("display() called while no cell is running"));
            var session = new ScriptSession(globals);
            Console.SetOut(new CellStreamWriter("stdout", () => _current, _console));
            Console.SetError(new CellStreamWriter("stderr", () => _current, _console));
            Reporter.Current = new NotebookReportSink(globals);
            return session;
        }

        /// <summary>Runs the cells in order; after the first failure the rest are recorded as skipped (code) or not run.
        /// Returns the parameter values applied after the parameters cell.</summary>
        async Task<JsonObject> RunCellsAsync(ScriptSession session, List<ParameterOverride> overrides, int parametersIndex,
            bool failed, Stopwatch clock, CancellationToken cancellationToken)
        {
            var applied = new JsonObject();
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

                (failed, applied) = await InjectParametersAsync(session, cell, i + 1, overrides, cancellationToken);
            }
            return applied;
        }

        /// <summary>Inserts and runs the cell that sets the overridden parameters, right after the parameters cell.</summary>
        async Task<(bool Failed, JsonObject Applied)> InjectParametersAsync(ScriptSession session, NotebookCell parametersCell,
            int number, List<ParameterOverride> overrides, CancellationToken cancellationToken)
        {
            var injected = NotebookCell.Code("", NotebookParameters.InjectedTag);
            _doc.InsertCell(_doc.Cells.IndexOf(parametersCell) + 1, injected);
            try
            {
                var (source, values) = NotebookParameters.BuildInjected(overrides, session.Variables, $"the parameters cell (cell {number})");
                injected.Source = source;
                var failed = (await RunCellAsync(session, injected, 0, null, cancellationToken)).Status == "error";
                return (failed, values);
            }
            catch (NotebookParameterException e)
            {
                injected.Source = "// Parameters injected by course run: none applied (see the error below)\n";
                FailCell(injected, 0, null, new CellError("parameters", "ParameterError", e.Message, null), TimeSpan.Zero);
                return (true, new JsonObject());
            }
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
                ["threads"] = _options.Threads,
                ["parameters"] = applied.DeepClone(),
                ["failed_cell"] = failed is null ? null : failed.Injected ? "injected-parameters" : failed.Number,
                ["error"] = notebookError ?? failed?.Error?.Message,
                ["notes"] = new JsonArray(_notes.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
            };
        }

        void Log(string message) => _options.Log?.Invoke($"{_logPrefix}{Path.GetFileName(Name)}: {message}");
    }
}
