using CourseKit.Tasks.SequenceClassification;

namespace CourseKit.Peft;

/// <summary>
/// The seven PEFT methods as <c>course finetune --method</c> choices, with the usual defaults of their papers /
/// Hugging Face PEFT. Call <see cref="Register"/> once (the CLI does; a notebook calls it before a sweep).
/// </summary>
public static class PeftFineTuningMethods
{
    public static IReadOnlyList<string> Names { get; } = new[] { "lora", "adalora", "adapter", "prefix", "prompt", "bitfit", "ia3" };

    public static void Register()
    {
        Add("lora", "LoRA, r=8, alpha=16, dropout 0.1 on query and value (Hu et al. 2021)",
            _ => new LoraConfig { R = 8, LoraAlpha = 16, LoraDropout = 0.1 });
        Add("adalora", "AdaLoRA, rank 12 -> total budget of rank 8 per module, on query and value (Zhang et al. 2023)", c =>
        {
            long steps = Math.Max(4, c.TotalSteps);
            return new AdaLoraConfig { InitR = 12, TargetR = 8, LoraAlpha = 16, TotalStep = steps, TInit = steps / 10, TFinal = steps / 5 };
        });
        Add("adapter", "bottleneck adapters of size 64 after attention and feed-forward (Houlsby et al. 2019)",
            _ => new BottleneckAdapterConfig { BottleneckSize = 64 });
        Add("prefix", "prefix tuning, 20 virtual key/value tokens per layer with the reparameterisation MLP (Li & Liang 2021)",
            _ => new PrefixTuningConfig { NumVirtualTokens = 20 });
        Add("prompt", "prompt tuning, 20 soft-prompt embeddings sampled from the vocabulary (Lester et al. 2021)",
            _ => new PromptTuningConfig { NumVirtualTokens = 20, Init = PromptTuningInit.SampleVocab });
        Add("bitfit", "BitFit: only the biases and the head train (Ben Zaken et al. 2022)", _ => new BitFitConfig());
        Add("ia3", "IA3: learned rescaling of keys, values and feed-forward activations (Liu et al. 2022)", _ => new IA3Config());
    }

    static void Add(string name, string description, Func<FineTuneContext, PeftConfig> config) =>
        FineTuningMethods.Register(new DelegateFineTuningMethod(name, description, (model, context) =>
        {
            var peft = PeftModel.Create(model, config(context));
            return new PreparedClassifier(peft, (ids, mask, types, labels) => peft.forward(ids, mask, types, labels), new PeftModelStore());
        }));
}
