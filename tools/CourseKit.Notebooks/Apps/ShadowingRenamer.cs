using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace CourseKit.Notebooks.Apps;

/// <summary>A script's top-level variables are fields, so a block inside any cell may declare a local of the same name
/// (`var (B, T) = ...` in cell 17, `long T` at the top of cell 30). In a top-level program they are all locals of one
/// method and that is error CS0136; such an inner local is renamed (name_) within its block.</summary>
static class ShadowingRenamer
{
    /// <summary>Edits (start, end, new text) renaming inner locals that clash with <paramref name="topLevelNames"/>.</summary>
    public static IEnumerable<(int Start, int End, string Text)> Edits(CompilationUnitSyntax root, IReadOnlySet<string> topLevelNames)
    {
        foreach (var token in root.DescendantTokens().Where(t => t.IsKind(SyntaxKind.IdentifierToken) && topLevelNames.Contains(t.Text)))
        {
            var scope = InnerScope(token);
            if (scope is null) continue;
            yield return (token.SpanStart, token.Span.End, token.Text + "_");
            foreach (var use in scope.DescendantNodes().OfType<IdentifierNameSyntax>())
                if (use.Identifier.Text == token.Text && !IsMemberName(use) && use.SpanStart > token.SpanStart)
                    yield return (use.Identifier.SpanStart, use.Identifier.Span.End, token.Text + "_");
        }
    }

    /// <summary>The block an inner local's declaration lives in; null for a top-level declaration or one inside a
    /// lambda or local function (those may shadow an enclosing local).</summary>
    static SyntaxNode? InnerScope(SyntaxToken token)
    {
        var declaration = token.Parent;
        if (declaration is not (VariableDeclaratorSyntax or SingleVariableDesignationSyntax or ForEachStatementSyntax)) return null;
        if (declaration is ForEachStatementSyntax forEach && forEach.Identifier != token) return null;
        if (declaration.Ancestors().Any(a => a is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or BaseMethodDeclarationSyntax or BaseTypeDeclarationSyntax))
            return null;
        if (declaration is ForEachStatementSyntax) return declaration;
        foreach (var ancestor in declaration.Ancestors())
        {
            if (ancestor is UsingStatementSyntax or ForStatementSyntax or BlockSyntax or SwitchSectionSyntax) return ancestor;
            if (ancestor is GlobalStatementSyntax or CompilationUnitSyntax) return null;
        }
        return null;
    }

    static bool IsMemberName(IdentifierNameSyntax name) =>
        name.Parent is MemberAccessExpressionSyntax access && access.Name == name
        || name.Parent is NameColonSyntax || name.Parent is QualifiedNameSyntax q && q.Right == name
        || name.Parent is AssignmentExpressionSyntax { Parent: InitializerExpressionSyntax } a && a.Left == name;
}
