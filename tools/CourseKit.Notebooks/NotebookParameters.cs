using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.CodeAnalysis.CSharp;

namespace CourseKit.Notebooks;

/// <summary>One override of a parameters-cell variable, and where it came from ("-p", "profile quick", "--seed").</summary>
public sealed record ParameterOverride(string Name, string Value, string Source);

/// <summary>Papermill-style parameters: the cell tagged "parameters" declares defaults; an injected cell tagged
/// "injected-parameters" right after it re-declares the overridden ones as C# literals of the declared types.</summary>
public static class NotebookParameters
{
    public const string ParametersTag = "parameters";
    public const string InjectedTag = "injected-parameters";

    /// <summary>Overrides in effect: the profile's values (from the notebook's metadata.coursekit.profiles), then
    /// --seed and --threads, then -p values, later ones winning. --seed and --threads set a <c>seed</c> / <c>threads</c>
    /// variable only where the parameters cell declares one (a chapter that sets torch's threads itself would
    /// otherwise undo the runner's --threads).</summary>
    public static List<ParameterOverride> Collect(NotebookDocument doc, string? profile, IReadOnlyDictionary<string, string> explicitValues,
        int? seed, IList<string> notes, int? threads = null)
    {
        var merged = new Dictionary<string, ParameterOverride>(StringComparer.Ordinal);
        if (profile is not null)
        {
            var profiles = doc.Metadata["coursekit"]?["profiles"] as JsonObject;
            if (profiles is null)
                notes.Add($"profile '{profile}' ignored: the notebook declares no profiles (metadata.coursekit.profiles)");
            else if (profiles[profile] is not JsonObject values)
                throw new NotebookParameterException(
                    $"{doc.Path}: profile '{profile}' is not declared; the notebook's profiles are: {string.Join(", ", profiles.Select(p => p.Key))}");
            else
                foreach (var (name, value) in values)
                    merged[name] = new ParameterOverride(name, JsonText(value), $"profile {profile}");
        }
        if (seed is { } s) merged["seed"] = new ParameterOverride("seed", s.ToString(CultureInfo.InvariantCulture), "--seed");
        if (threads is > 0 and var t) merged["threads"] = new ParameterOverride("threads", t.ToString(CultureInfo.InvariantCulture), "--threads");
        foreach (var (name, value) in explicitValues) merged[name] = new ParameterOverride(name, value, "-p");
        return merged.Values.ToList();
    }

    static string JsonText(JsonNode? value) => value switch
    {
        null => "null",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => value.ToJsonString(),
    };

    /// <summary>The injected cell's source and the typed values, given the variables the parameters cell declared.</summary>
    public static (string Source, JsonObject Applied) BuildInjected(IReadOnlyList<ParameterOverride> overrides,
        IReadOnlyDictionary<string, (Type Type, object? Value)> declared, string parametersCellLabel)
    {
        var source = new StringBuilder("// Parameters injected by course run\n");
        var applied = new JsonObject();
        foreach (var o in overrides)
        {
            if (IsRunnerOption(o) && !declared.ContainsKey(o.Name)) continue;
            if (!declared.TryGetValue(o.Name, out var variable))
                throw new NotebookParameterException(
                    $"unknown parameter '{o.Name}' (from {o.Source}): {parametersCellLabel} declares " +
                    (declared.Count == 0 ? "no variables" : string.Join(", ", declared.Keys)));
            var (literal, json) = Literal(o, variable.Type);
            source.Append(CSharpTypeName(variable.Type)).Append(' ').Append(o.Name).Append(" = ").Append(literal).Append(";\n");
            applied[o.Name] = json;
        }
        return (source.ToString(), applied);
    }

    /// <summary>--seed or --threads: applied where the notebook declares the variable, ignored where it does not.</summary>
    public static bool IsRunnerOption(ParameterOverride o) => (o.Name, o.Source) is ("seed", "--seed") or ("threads", "--threads");

    static (string Literal, JsonNode? Json) Literal(ParameterOverride o, Type type)
    {
        var text = o.Value.Trim();
        var inv = CultureInfo.InvariantCulture;
        Exception Bad() => new NotebookParameterException(
            $"parameter '{o.Name}' (from {o.Source}): '{o.Value}' is not a valid {CSharpTypeName(type)}");
        if (type == typeof(string)) return (SymbolDisplay.FormatLiteral(o.Value, quote: true), JsonValue.Create(o.Value));
        if (type == typeof(int))
            return int.TryParse(text, NumberStyles.Integer, inv, out var i) ? (i.ToString(inv), JsonValue.Create(i)) : throw Bad();
        if (type == typeof(long))
            return long.TryParse(text, NumberStyles.Integer, inv, out var l) ? (l.ToString(inv) + "L", JsonValue.Create(l)) : throw Bad();
        if (type == typeof(double))
            return double.TryParse(text, NumberStyles.Float, inv, out var d) && double.IsFinite(d)
                ? (d.ToString("R", inv) + "D", JsonValue.Create(d)) : throw Bad();
        if (type == typeof(float))
            return float.TryParse(text, NumberStyles.Float, inv, out var f) && float.IsFinite(f)
                ? (f.ToString("R", inv) + "F", JsonValue.Create(f)) : throw Bad();
        if (type == typeof(bool))
            return bool.TryParse(text, out var b) ? (b ? "true" : "false", JsonValue.Create(b)) : throw Bad();
        throw new NotebookParameterException(
            $"parameter '{o.Name}' has type {type.Name}; overrides support int, long, double, float, bool and string");
    }

    static string CSharpTypeName(Type type) =>
        type == typeof(int) ? "int" : type == typeof(long) ? "long" : type == typeof(double) ? "double"
        : type == typeof(float) ? "float" : type == typeof(bool) ? "bool" : type == typeof(string) ? "string" : type.FullName ?? type.Name;
}

public sealed class NotebookParameterException : Exception
{
    public NotebookParameterException(string message) : base(message) { }
}
