namespace CourseKit.Peft;

/// <summary>One parameter-efficient method: its name (a fine-tuning method of the runner), the <c>peft_type</c> and
/// config type of its adapter_config.json, and the config a fine-tuning run gets by default.</summary>
/// <param name="DefaultConfig">the usual defaults of the method's paper / Hugging Face PEFT, given the run's number of
/// optimizer steps (AdaLoRA's rank budget falls over the whole run).</param>
public sealed record PeftMethod(string Name, string PeftType, Type ConfigType, string Description, Func<long, PeftConfig> DefaultConfig);

/// <summary>
/// Every PEFT method, declared once, as Hugging Face PEFT's PEFT_TYPE_TO_CONFIG_MAPPING: <see cref="PeftConfig.FromJson"/>
/// reads adapter configs through it and the sequence-classification runner offers each as a method. A new method is
/// its config + tuner file and one line here.
/// </summary>
public static class PeftMethods
{
    public static IReadOnlyList<PeftMethod> All { get; } =
    [
        Method("lora", "LoRA, r=8, alpha=16, dropout 0.1 on query and value (Hu et al. 2021)",
            _ => new LoraConfig { R = 8, LoraAlpha = 16, LoraDropout = 0.1 }),
        Method("adalora", "AdaLoRA, rank 12 -> total budget of rank 8 per module, on query and value (Zhang et al. 2023)", totalSteps =>
        {
            long steps = Math.Max(4, totalSteps);
            return new AdaLoraConfig { InitR = 12, TargetR = 8, LoraAlpha = 16, TotalStep = steps, TInit = steps / 10, TFinal = steps / 5 };
        }),
        Method("adapter", "bottleneck adapters of size 64 after attention and feed-forward (Houlsby et al. 2019)",
            _ => new BottleneckAdapterConfig { BottleneckSize = 64 }),
        Method("prefix", "prefix tuning, 20 virtual key/value tokens per layer with the reparameterisation MLP (Li & Liang 2021)",
            _ => new PrefixTuningConfig { NumVirtualTokens = 20 }),
        Method("prompt", "prompt tuning, 20 soft-prompt embeddings sampled from the vocabulary (Lester et al. 2021)",
            _ => new PromptTuningConfig { NumVirtualTokens = 20, Init = PromptTuningInit.SampleVocab }),
        Method("bitfit", "BitFit: only the biases and the head train (Ben Zaken et al. 2022)", _ => new BitFitConfig()),
        Method("ia3", "IA3: learned rescaling of keys, values and feed-forward activations (Liu et al. 2022)", _ => new IA3Config()),
    ];

    /// <summary>The methods' names, in declaration order.</summary>
    public static IReadOnlyList<string> Names { get; } = All.Select(m => m.Name).ToArray();

    /// <summary>The method whose adapter_config.json has this <c>peft_type</c>, or null.</summary>
    public static PeftMethod? ForPeftType(string peftType) => All.FirstOrDefault(m => m.PeftType == peftType);

    // The peft_type and config type come from the config itself, so they are written nowhere else.
    static PeftMethod Method<TConfig>(string name, string description, Func<long, TConfig> defaultConfig)
        where TConfig : PeftConfig, new() =>
        new(name, new TConfig().PeftType, typeof(TConfig), description, totalSteps => defaultConfig(totalSteps));
}
