using System.Diagnostics;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Scripting;

namespace CourseKit.Notebooks;

/// <summary>What one submission did.</summary>
public sealed record SubmissionResult(
    bool HasTrailingExpression,
    object? ReturnValue,
    Exception? Exception,
    int? ExceptionLine,
    IReadOnlyList<Diagnostic> CompileErrors);

/// <summary>C# cells run as chained Roslyn script submissions (the way the .NET Interactive C# kernel runs them):
/// each cell sees the variables, usings and references of the cells before it.</summary>
public sealed class ScriptSession
{
    /// <summary>The namespaces the C# kernel imports by default.</summary>
    public static readonly string[] DefaultImports =
        { "System", "System.Text", "System.Collections", "System.Collections.Generic", "System.Threading.Tasks", "System.Linq" };

    static readonly Lazy<IReadOnlyList<MetadataReference>> BaseReferences = new(() =>
        HostAssemblies.FrameworkPaths()
            .Concat(new[] { typeof(NotebookGlobals).Assembly.Location, typeof(Microsoft.DotNet.Interactive.Formatting.Formatter).Assembly.Location })
            .Distinct()
            .Select(HostAssemblies.Reference)
            .ToList());

    readonly NotebookGlobals _globals;
    readonly HashSet<string> _referenced = new(StringComparer.Ordinal);
    ScriptOptions _options;
    ScriptState<object>? _state;

    public ScriptSession(NotebookGlobals globals)
    {
        _globals = globals;
        _options = ScriptOptions.Default
            .WithReferences(BaseReferences.Value)
            .WithImports(DefaultImports)
            .WithAllowUnsafe(true)
            .WithEmitDebugInformation(true)
            .WithFileEncoding(Encoding.UTF8);
    }

    /// <summary>Variables defined so far (last definition wins), with their declared types.</summary>
    public IReadOnlyDictionary<string, (Type Type, object? Value)> Variables =>
        _state?.Variables.GroupBy(v => v.Name).ToDictionary(g => g.Key, g => (g.Last().Type, (object?)g.Last().Value))
        ?? new Dictionary<string, (Type, object?)>();

    public void AddReferences(IEnumerable<string> paths)
    {
        var fresh = paths.Where(_referenced.Add).Select(HostAssemblies.Reference).ToList();
        if (fresh.Count > 0) _options = _options.AddReferences(fresh);
    }

    /// <summary>Compiles and runs one cell. <paramref name="filePath"/> names the cell in stack traces.</summary>
    public async Task<SubmissionResult> RunAsync(string code, string filePath, CancellationToken cancellationToken = default)
    {
        var options = _options.WithFilePath(filePath);
        var trailing = HasTrailingExpression(code);
        try
        {
            var state = _state is null
                ? await CSharpScript.Create<object>(code, options, typeof(NotebookGlobals)).RunAsync(_globals, _ => true, cancellationToken)
                : await _state.ContinueWithAsync<object>(code, options, _ => true, cancellationToken);
            if (state.Exception is { } ex)
                return new SubmissionResult(trailing, null, ex, LineIn(ex, filePath), Array.Empty<Diagnostic>());
            _state = state;
            return new SubmissionResult(trailing, state.ReturnValue, null, null, Array.Empty<Diagnostic>());
        }
        catch (CompilationErrorException e)
        {
            return new SubmissionResult(trailing, null, null, null, e.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList());
        }
    }

    /// <summary>True when the cell ends in an expression without a semicolon (its value becomes the cell's result).</summary>
    public static bool HasTrailingExpression(string code)
    {
        var tree = CSharpSyntaxTree.ParseText(code, CSharpParseOptions.Default.WithKind(SourceCodeKind.Script));
        return tree.GetCompilationUnitRoot().Members.LastOrDefault() is GlobalStatementSyntax
        {
            Statement: ExpressionStatementSyntax { SemicolonToken.IsMissing: true }
        };
    }

    /// <summary>The line inside the cell where the exception surfaced (the innermost frame in the cell's code).</summary>
    public static int? LineIn(Exception exception, string filePath)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            var frame = new StackTrace(e, true).GetFrames()
                .FirstOrDefault(f => string.Equals(f.GetFileName(), filePath, StringComparison.Ordinal) && f.GetFileLineNumber() > 0);
            if (frame is not null) return frame.GetFileLineNumber();
        }
        return null;
    }
}
