using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using CourseKit.Native;
using Microsoft.CodeAnalysis;

namespace CourseKit.Notebooks;

public sealed partial class NotebookRunner
{
    /// <summary>One cell: directives, compile and run on the shared script state, outputs and status recorded.</summary>
    sealed partial class Execution
    {
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
            // The cell's code runs on this thread until its first await that waits: its temporaries stay reachable
            // until then, so a collection the progress display or the compiler triggers cannot free one under a native
            // call. The keep-alive closes on the thread that opened it (a dispose scope belongs to its thread); code
            // after an await runs on a pool thread, outside it.
            Task<SubmissionResult> running;
            using (new TensorKeepAlive())
                running = session.RunAsync(directives.Code, CellFileName(number, codeIndex), ct);
            try
            {
                submission = await running;
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
    }
}
