using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using CourseKit.Checkpoints;

namespace CourseKit.Peft;

/// <summary>The <c>peft_type</c> values written to adapter_config.json (Hugging Face PEFT's names where PEFT has the method).</summary>
public static class PeftTypes
{
    public const string Lora = "LORA", AdaLora = "ADALORA", BottleneckAdapter = "BOTTLENECK_ADAPTER",
        PrefixTuning = "PREFIX_TUNING", PromptTuning = "PROMPT_TUNING", BitFit = "BITFIT", IA3 = "IA3";
}

/// <summary>The <c>task_type</c> values of Hugging Face PEFT for the BERT heads the kit has.</summary>
public static class PeftTaskTypes
{
    public const string SequenceClassification = "SEQ_CLS", TokenClassification = "TOKEN_CLS";
}

/// <summary>
/// What every parameter-efficient method's config has: its type, the task, and the modules that stay trainable and
/// are saved with the adapter (the task head: <c>classifier</c>). Serialised as Hugging Face's adapter_config.json.
/// </summary>
public abstract record PeftConfig
{
    public const string FileName = "adapter_config.json";

    protected PeftConfig(string peftType) => PeftType = peftType;

    [JsonPropertyName("peft_type"), JsonPropertyOrder(-2)] public string PeftType { get; }
    /// <summary>Filled in by <see cref="PeftModel.Create"/> from the model's head.</summary>
    [JsonPropertyName("task_type"), JsonPropertyOrder(-1)] public string? TaskType { get; init; }
    /// <summary>Modules (exact names or name suffixes) trained in full and saved with the adapter. Null: the task head,
    /// filled in by <see cref="PeftModel.Create"/>: classifier + pooler for sequence classification (a checkpoint
    /// pretrained without next-sentence prediction, like the kit's, has no trained pooler: frozen, it would stay random
    /// and be lost on save), classifier for token classification.</summary>
    [JsonPropertyName("modules_to_save")] public IReadOnlyList<string>? ModulesToSave { get; init; }
    [JsonPropertyName("base_model_name_or_path")] public string? BaseModelNameOrPath { get; init; }
    /// <summary>True for an adapter loaded for inference: prefix tuning then uses plain (folded) prefixes.</summary>
    [JsonPropertyName("inference_mode")] public bool InferenceMode { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad field.</summary>
    public virtual void Validate() { }

    internal abstract PeftTuner CreateTuner();

    protected static void Require(bool ok, string message)
    {
        if (!ok) throw new ArgumentException(message);
    }

    static readonly JsonSerializerOptions Options = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    public string ToJson() => JsonSerializer.Serialize(this, GetType(), Options);

    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson() + "\n");

    /// <summary>Reads any method's config, dispatching on <c>peft_type</c> through <see cref="PeftMethods"/>.</summary>
    public static PeftConfig FromJson(string json, string source = "adapter config")
    {
        try
        {
            var type = JsonNode.Parse(json)?["peft_type"]?.GetValue<string>()
                ?? throw new InvalidDataException($"{source}: no \"peft_type\" field");
            var method = PeftMethods.ForPeftType(type)
                ?? throw new InvalidDataException($"{source}: peft_type '{type}' is not one of {string.Join(", ", PeftMethods.All.Select(m => m.PeftType))}");
            var config = (PeftConfig)(JsonSerializer.Deserialize(json, method.ConfigType, Options)
                ?? throw new InvalidDataException($"{source}: empty config"));
            config.Validate();
            return config;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{source}: not a valid adapter config: {e.Message}", e);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
    }

    public static PeftConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: missing (a PEFT adapter folder has {FileName})", path);
        return FromJson(File.ReadAllText(path), path);
    }
}
