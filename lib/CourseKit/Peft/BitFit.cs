using CourseKit.Models;

namespace CourseKit.Peft;

/// <summary>BitFit (Ben Zaken et al. 2022): only the bias terms of the model (attention, feed-forward, LayerNorm,
/// pooler) and the task head train.</summary>
public sealed record BitFitConfig() : PeftConfig(PeftTypes.BitFit)
{
    internal override PeftTuner CreateTuner() => new BitFitTuner();
}

public sealed class BitFitTuner : PeftTuner
{
    internal override void Attach(BertPreTrainedModel<ClassifierOutput> model)
    {
        int count = 0;
        foreach (var (name, p) in model.named_parameters())
            if (name.EndsWith(".bias", StringComparison.Ordinal)) { p.requires_grad_(true); count++; }
        if (count == 0) throw new ArgumentException($"BitFit: {model.GetType().Name} has no bias parameters");
    }
}
