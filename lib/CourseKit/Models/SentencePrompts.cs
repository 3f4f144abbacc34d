using System.Text.Json;
using System.Text.Json.Nodes;
using CourseKit.Checkpoints;

namespace CourseKit.Models;

/// <summary>
/// sentence-transformers' prompts (config_sentence_transformers.json, "prompts": name → text put in front of the
/// input). Retrieval encoders are trained with one on the query side only: snowflake-arctic-embed's
/// "Represent this sentence for searching relevant passages: ". Left out, its recall@1 on XQuAD-en paragraphs falls
/// from 0.913 to 0.767 (measured in the kit), so a folder carries its prompts and the encoder applies them.
/// </summary>
public static class SentencePrompts
{
    public const string ConfigFile = "config_sentence_transformers.json";
    /// <summary>The prompt name sentence-transformers' <c>encode_query</c> uses.</summary>
    public const string Query = "query";

    /// <summary>The prompts of a model folder; empty when it has no config file or the file names none. A file that
    /// is not JSON, or whose prompts are not strings, is refused naming the file.</summary>
    public static IReadOnlyDictionary<string, string> Read(string dir)
    {
        var path = Path.Combine(dir, ConfigFile);
        if (!File.Exists(path)) return new Dictionary<string, string>();
        try
        {
            var prompts = JsonNode.Parse(File.ReadAllText(path))?["prompts"];
            if (prompts is null) return new Dictionary<string, string>();
            if (prompts is not JsonObject map) throw new InvalidDataException($"{path}: \"prompts\" must be an object of name → text");
            return map.ToDictionary(kv => kv.Key, kv => kv.Value is JsonValue v && v.TryGetValue<string>(out var text) ? text
                : throw new InvalidDataException($"{path}: prompt \"{kv.Key}\" is not a string"));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not JSON ({e.Message})", e);
        }
    }

    /// <summary>Writes the prompts (atomically), keeping any other field the file already has.</summary>
    public static void Save(string dir, IReadOnlyDictionary<string, string> prompts)
    {
        var path = Path.Combine(dir, ConfigFile);
        var config = File.Exists(path) && JsonNode.Parse(File.ReadAllText(path)) is JsonObject existing ? existing : new JsonObject();
        var map = new JsonObject();
        foreach (var (name, text) in prompts) map[name] = text;
        config["prompts"] = map;
        config["default_prompt_name"] ??= null;
        AtomicFile.WriteAllText(path, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }
}
