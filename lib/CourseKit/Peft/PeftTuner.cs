using CourseKit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Peft;

/// <summary>
/// One method's machinery on a model (Hugging Face PEFT's LoraModel, PrefixEncoder, ...). <see cref="PeftModel.Create"/>
/// freezes the whole base model, then calls <see cref="Attach"/>, which adds the method's parameters (trainable) and
/// hooks, then makes <see cref="PeftConfig.ModulesToSave"/> trainable.
/// </summary>
public abstract class PeftTuner
{
    internal abstract void Attach(BertPreTrainedModel<ClassifierOutput> model);

    /// <summary>Registered as <c>prompt_encoder</c> on the <see cref="PeftModel"/> (prompt and prefix tuning).</summary>
    internal virtual nn.Module? PromptEncoder => null;

    /// <summary>Linear layers whose forward this method hooks; <see cref="PeftModel.Create"/> checks that each runs.</summary>
    public virtual IReadOnlyList<LinearAdapterLayer> Layers => [];

    /// <summary>Added to the loss by <see cref="PeftModel.forward(Tensor, Tensor?, Tensor?, Tensor?, bool)"/> in training mode.</summary>
    public virtual Tensor? RegularizationLoss() => null;

    /// <summary>Called by the Trainer after every optimizer step (AdaLoRA's rank allocation).</summary>
    public virtual void AfterOptimizerStep(long step) { }

    /// <summary>Whether <see cref="AfterOptimizerStep"/> does anything (AdaLoRA: yes).</summary>
    public virtual bool HasAfterOptimizerStep => false;

    /// <summary>The adapted model's forward. Methods that hook layers need nothing more than the model's own; prompt
    /// and prefix tuning hand it their virtual tokens (inputs_embeds, past_key_values), as Hugging Face's PeftModel does.</summary>
    internal virtual ClassifierOutput Forward(BertPreTrainedModel<ClassifierOutput> model, Tensor inputIds, Tensor? attentionMask,
        Tensor? tokenTypeIds, Tensor? labels, bool outputAttentions) =>
        model.forward(inputIds, attentionMask, tokenTypeIds, labels, outputAttentions);

    /// <summary>State outside the parameters that a resumed run needs (see <see cref="Training.ITrainingState"/>).</summary>
    internal virtual Dictionary<string, Tensor> TrainingState() => [];

    internal virtual void LoadTrainingState(IReadOnlyDictionary<string, Tensor> state) { }

    /// <summary>Tensors saved under their own names, outside the model's parameters (PEFT's "prompt_embeddings").</summary>
    internal virtual Dictionary<string, Tensor> ExtraTensorsToSave() => [];

    /// <summary>The parameters <see cref="ExtraTensorsToSave"/>'s tensors are loaded into.</summary>
    internal virtual Dictionary<string, Tensor> ExtraTensorsToLoad() => [];

    /// <summary>True when every adapted layer can be folded into its base weights (LoRA, IA3).</summary>
    public bool CanMerge => Layers.Count > 0 && Layers.All(l => l is MergeableAdapterLayer);

    /// <summary>Folds the adapter into the base weights: the forward no longer runs the adapter.</summary>
    public void Merge()
    {
        foreach (var layer in Mergeable()) layer.Merge();
    }

    /// <summary>Takes a merged adapter back out of the base weights and runs it again in the forward.</summary>
    public void Unmerge()
    {
        foreach (var layer in Mergeable()) layer.Unmerge();
    }

    IEnumerable<MergeableAdapterLayer> Mergeable() => CanMerge
        ? Layers.Cast<MergeableAdapterLayer>().ToArray()
        : throw new NotSupportedException($"{GetType().Name} cannot be merged into the base weights");

    /// <summary>The adapted Linear layers of <paramref name="model"/>: every Linear whose full name matches, except the
    /// modules to save; an error when none does.</summary>
    internal static List<(string Name, TorchSharp.Modules.Linear Linear)> FindTargets(nn.Module model, TargetModules targets,
        IReadOnlyList<string> modulesToSave, string method)
    {
        var found = new List<(string, TorchSharp.Modules.Linear)>();
        foreach (var (name, module) in model.named_modules())
        {
            if (!targets.Matches(name)) continue;
            if (modulesToSave.Any(m => name == m || name.EndsWith("." + m, StringComparison.Ordinal))) continue;
            if (module is not TorchSharp.Modules.Linear linear)
                throw new ArgumentException($"{method}: target module '{name}' is a {module.GetType().Name}; only Linear layers can be adapted");
            found.Add((name, linear));
        }
        if (found.Count == 0)
            throw new ArgumentException($"{method}: target modules {targets} match no Linear layer of the model " +
                $"(e.g. {string.Join(", ", model.named_modules().Where(m => m.module is TorchSharp.Modules.Linear).Take(4).Select(m => m.name))})");
        return found;
    }
}
