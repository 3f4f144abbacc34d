using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace CourseKit.Peft;

/// <summary>
/// Which modules a method adapts, as Hugging Face PEFT's <c>target_modules</c>: a list of names, each matching a
/// module whose full name equals it or ends with "." + it (<c>query</c>, <c>attention.output.dense</c>, or a full
/// <c>bert.encoder.layer.0.attention.self.query</c>); or one regular expression that must match the full name.
/// In JSON: a list, or a string (the regex), as in PEFT.
/// </summary>
[JsonConverter(typeof(TargetModulesJsonConverter))]
public sealed class TargetModules
{
    public IReadOnlyList<string>? Names { get; }
    public string? Pattern { get; }
    readonly Regex? regex;

    TargetModules(IReadOnlyList<string>? names, string? pattern)
    {
        Names = names;
        Pattern = pattern;
        regex = pattern is null ? null : new Regex($"^(?:{pattern})$", RegexOptions.CultureInvariant);
    }

    public static TargetModules Of(params string[] names)
    {
        if (names.Length == 0) throw new ArgumentException("at least one target module name is needed");
        return new TargetModules(names, null);
    }

    public static TargetModules Matching(string regex) => new(null, regex);

    public static implicit operator TargetModules(string[] names) => Of(names);

    public bool Matches(string moduleName) =>
        regex?.IsMatch(moduleName) ?? Names!.Any(n => moduleName == n || moduleName.EndsWith("." + n, StringComparison.Ordinal));

    public override string ToString() => Pattern is not null ? $"regex '{Pattern}'" : $"[{string.Join(", ", Names!)}]";
}

public sealed class TargetModulesJsonConverter : JsonConverter<TargetModules>
{
    public override TargetModules Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String
            ? TargetModules.Matching(reader.GetString()!)
            : TargetModules.Of(JsonSerializer.Deserialize<string[]>(ref reader, options)
                ?? throw new JsonException("target_modules: expected a list of names or a regex string"));

    public override void Write(Utf8JsonWriter writer, TargetModules value, JsonSerializerOptions options)
    {
        if (value.Pattern is not null) writer.WriteStringValue(value.Pattern);
        else JsonSerializer.Serialize(writer, value.Names, options);
    }
}
