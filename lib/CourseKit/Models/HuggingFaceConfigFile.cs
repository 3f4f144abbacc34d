using System.Text.Json;
using System.Text.Json.Serialization;

namespace CourseKit.Models;

/// <summary>Reading and writing a Hugging Face <c>config.json</c>: snake_case keys, keys this kit does not know kept
/// as they were (in <see cref="HuggingFaceConfig.Extra"/>) so a round trip loses nothing.</summary>
public abstract class HuggingFaceConfig
{
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }

    /// <summary>Where this config was read from, for error messages; null when built in code.</summary>
    [JsonIgnore] public string? SourcePath { get; set; }

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };

    /// <summary>Throws <see cref="InvalidDataException"/> naming the file when a field is out of range.</summary>
    public abstract void Validate();

    protected string Where => SourcePath is null ? "config" : $"config '{SourcePath}'";

    protected void Require(bool ok, string message)
    {
        if (!ok) throw new InvalidDataException($"{Where}: {message}");
    }

    public string ToJson() => JsonSerializer.Serialize(this, GetType(), JsonOptions);

    public void Save(string path)
    {
        Validate();
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        CourseKit.Checkpoints.AtomicFile.WriteAllText(path, ToJson() + "\n");
    }

    protected static T ReadFile<T>(string path) where T : HuggingFaceConfig
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Model config not found: '{path}'", path);
        var config = Parse<T>(File.ReadAllText(path), path);
        return config;
    }

    protected static T Parse<T>(string json, string? source) where T : HuggingFaceConfig
    {
        T? config;
        try { config = JsonSerializer.Deserialize<T>(json, JsonOptions); }
        catch (JsonException e)
        {
            var at = e.LineNumber is { } line ? $" (line {line + 1})" : "";
            throw new InvalidDataException($"config '{source ?? "<string>"}'{at}: not a valid {typeof(T).Name}: {e.Message}", e);
        }
        if (config is null) throw new InvalidDataException($"config '{source ?? "<string>"}': empty JSON");
        config.SourcePath = source;
        config.Validate();
        return config;
    }
}
