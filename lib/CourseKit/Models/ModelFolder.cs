using System.Text.Json;
using System.Text.Json.Nodes;

namespace CourseKit.Models;

/// <summary>A Hugging Face model folder as found on disk: its path, config.json (kept as raw JSON, so keys the kit does
/// not model still show) and model_type. Opening checks only the folder and its config; the weights are asked for
/// when needed, so a folder with a broken model.safetensors can still be described.</summary>
public sealed record ModelFolder(string Directory, string ModelType, JsonObject RawConfig)
{
    /// <summary>The model types the kit can build: BERT (BertModel) and GPT-2 (GptModel).</summary>
    public static readonly IReadOnlyList<string> KnownModelTypes = ["bert", "gpt2"];

    public string ConfigPath => Path.Combine(Directory, Pretrained.ConfigFile);
    public string WeightsPath => Path.Combine(Directory, Pretrained.WeightsFile);
    public string VocabPath => Path.Combine(Directory, Pretrained.VocabFile);
    public bool HasVocab => File.Exists(VocabPath);

    /// <summary>Reads <paramref name="dir"/>/config.json; model_type is bert when absent, as <see cref="BertConfig"/> assumes.</summary>
    public static ModelFolder Open(string dir)
    {
        if (!System.IO.Directory.Exists(dir)) throw new DirectoryNotFoundException($"{dir}: no such model folder");
        var path = Path.Combine(dir, Pretrained.ConfigFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: missing (a Hugging Face model folder has config.json)", path);
        JsonObject raw;
        try
        {
            raw = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) as JsonObject
                  ?? throw new InvalidDataException($"{path}: not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON (line {e.LineNumber + 1}): {e.Message}", e);
        }
        var type = raw["model_type"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "bert";
        if (!KnownModelTypes.Contains(type))
            throw new InvalidDataException($"{path}: model_type '{type}' is not one the kit reads ({string.Join(", ", KnownModelTypes)})");
        return new ModelFolder(dir, type, raw);
    }

    /// <summary>The path of model.safetensors; throws naming it when the folder lacks it.</summary>
    public string RequireWeights()
    {
        if (!File.Exists(WeightsPath)) throw new FileNotFoundException($"{WeightsPath}: missing (the folder needs model.safetensors)", WeightsPath);
        return WeightsPath;
    }

    /// <summary>"architectures" of config.json, comma-separated, or "(none)".</summary>
    public string Architectures =>
        RawConfig["architectures"] is JsonArray a ? string.Join(", ", a.Select(x => x?.ToString())) : "(none)";
}
