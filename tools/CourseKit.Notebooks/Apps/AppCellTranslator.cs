using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace CourseKit.Notebooks.Apps;

/// <summary>One C# cell split the way a top-level program needs it: a script cell may put `using` directives and
/// type declarations anywhere, a program only at the top (usings) or after all statements (types).</summary>
public sealed record TranslatedCell(IReadOnlyList<string> Usings, string Statements, IReadOnlyList<string> Types, IReadOnlyList<string> DeclaredNames);

/// <summary>Script-cell → top-level-statement rewrites (Roslyn parses the cell as a script, as the runner runs it).</summary>
public static class AppCellTranslator
{
    static readonly CSharpParseOptions ScriptParse = CSharpParseOptions.Default.WithKind(SourceCodeKind.Script).WithLanguageVersion(LanguageVersion.Latest);

    /// <summary>Splits a cell; a trailing expression (the cell's shown value) becomes display(expr);.
    /// <paramref name="parametersVariable"/> non-null: each declaration's initializer becomes a command-line lookup.</summary>
    public static TranslatedCell Translate(string code, string? parametersVariable, string cellLabel, IReadOnlySet<string>? topLevelNames = null)
    {
        var root = CSharpSyntaxTree.ParseText(code, ScriptParse).GetCompilationUnitRoot();
        var firstError = root.GetDiagnostics().FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error);
        if (firstError is not null)
            throw new NotebookDirectiveException(
                $"{cellLabel}, line {firstError.Location.GetLineSpan().StartLinePosition.Line + 1}: does not parse as C# ({firstError.GetMessage()})");
        var usings = root.Usings.Select(u => u.ToString().Trim()).ToList();
        var types = root.Members.Where(m => m is BaseTypeDeclarationSyntax or DelegateDeclarationSyntax).ToList();
        // Edits as (span, replacement), applied from the end so earlier spans stay valid.
        var edits = new List<(TextSpanLite Span, string Text)>();
        foreach (var u in root.Usings) edits.Add((new(u.FullSpan.Start, u.FullSpan.End), LineBreaks(u.ToFullString())));
        foreach (var t in types) edits.Add((new(t.FullSpan.Start, t.FullSpan.End), LineBreaks(t.ToFullString())));
        if (root.Members.LastOrDefault() is GlobalStatementSyntax { Statement: ExpressionStatementSyntax { SemicolonToken.IsMissing: true } last })
        {
            edits.Add((new(last.Expression.SpanStart, last.Expression.SpanStart), "display("));
            edits.Add((new(last.Expression.Span.End, last.Expression.Span.End), ");"));
        }
        var names = new List<string>();
        // A script parses a top-level `int x = 1;` as a field, a program as a local: either way, one variable.
        var declarations = root.Members.OfType<FieldDeclarationSyntax>().Select(f => f.Declaration)
            .Concat(root.Members.OfType<GlobalStatementSyntax>().Select(g => g.Statement).OfType<LocalDeclarationStatementSyntax>().Select(l => l.Declaration));
        foreach (var declaration in declarations.OrderBy(d => d.SpanStart))
            foreach (var variable in declaration.Variables)
            {
                names.Add(variable.Identifier.Text);
                if (parametersVariable is not null && variable.Initializer is { } init)
                    edits.Add((new(init.Value.SpanStart, init.Value.Span.End),
                        $"{parametersVariable}.Get<{declaration.Type}>(\"{variable.Identifier.Text}\", {init.Value})"));
            }
        names = TopLevelNames(root).ToList();
        foreach (var (start, end, renamed) in ShadowingRenamer.Edits(root, topLevelNames ?? names.ToHashSet()))
            edits.Add((new(start, end), renamed));
        var text = new StringBuilder(code);
        foreach (var (span, replacement) in edits.OrderByDescending(e => e.Span.Start).ThenByDescending(e => e.Span.End))
            text.Remove(span.Start, span.End - span.Start).Insert(span.Start, replacement);
        return new TranslatedCell(usings, text.ToString(), types.Select(t => t.ToString().Trim()).ToList(), names);
    }

    /// <summary>The variables and methods a cell declares at its top level (the names every later cell sees).</summary>
    public static IEnumerable<string> TopLevelNames(string code) =>
        TopLevelNames(CSharpSyntaxTree.ParseText(code, ScriptParse).GetCompilationUnitRoot());

    static IEnumerable<string> TopLevelNames(CompilationUnitSyntax root) =>
        root.Members.OfType<FieldDeclarationSyntax>().SelectMany(f => f.Declaration.Variables).Select(v => v.Identifier.Text)
            .Concat(root.Members.OfType<GlobalStatementSyntax>().Select(g => g.Statement).OfType<LocalDeclarationStatementSyntax>()
                .SelectMany(l => l.Declaration.Variables).Select(v => v.Identifier.Text))
            // var (a, b) = ...; at the top level declares a and b for every later cell too
            .Concat(root.Members.OfType<GlobalStatementSyntax>().Select(g => g.Statement).OfType<ExpressionStatementSyntax>()
                .Select(e => e.Expression).OfType<AssignmentExpressionSyntax>().Select(a => a.Left).OfType<DeclarationExpressionSyntax>()
                .SelectMany(d => d.Designation.DescendantNodesAndSelf().OfType<SingleVariableDesignationSyntax>()).Select(v => v.Identifier.Text))
            .Concat(root.Members.OfType<MethodDeclarationSyntax>().Select(m => m.Identifier.Text));

    /// <summary>Keeps a removed node's line breaks, so line N of the cell stays line N in its block of the app.</summary>
    static string LineBreaks(string removed) => new('\n', removed.Count(c => c == '\n'));

    readonly record struct TextSpanLite(int Start, int End);
}
