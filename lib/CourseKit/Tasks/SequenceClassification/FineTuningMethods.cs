using CourseKit.Models;
using CourseKit.Peft;
using CourseKit.Text;
using TorchSharp;
using static TorchSharp.torch;
using CourseKit.Training;

namespace CourseKit.Tasks.SequenceClassification;

/// <summary>The forward of a (possibly wrapped) sequence classifier: ids, mask, token types, labels → logits and loss.</summary>
public delegate ClassifierOutput ClassifierForward(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds, Tensor? labels);

/// <summary>
/// What a method hands the runner: the module the optimizer and checkpoints see (the model itself, or a wrapper such
/// as a PEFT model), its forward, and how its weights are saved (<see cref="Store"/>.Save writes best-model/).
/// </summary>
public sealed record PreparedClassifier(nn.Module Module, ClassifierForward Forward, IModelStore Store);

/// <summary>
/// A way to adapt a pretrained classifier to a task: which parameters train and which modules are added. Prepare is
/// called once, after the model is loaded and before the optimizer is built (the optimizer takes every parameter with
/// requires_grad). The PEFT methods (LoRA, adapters, ...) come from <see cref="PeftMethods"/>; register others with
/// <see cref="FineTuningMethods.Register"/>.
/// </summary>
public interface IFineTuningMethod
{
    /// <summary>The name used by <c>--method</c>, lower-case.</summary>
    string Name { get; }
    string Description { get; }
    PreparedClassifier Prepare(BertForSequenceClassification model, FineTuneContext context);
}

/// <summary>What a method may need besides the model: the run's options, the tokenizer (for the saved folder) and the
/// number of training examples (methods with a schedule, such as AdaLoRA's rank budget, need the run's length).</summary>
public sealed record FineTuneContext(FineTuneOptions Options, BertTextTokenizer Tokenizer, int TrainExamples = 0)
{
    /// <summary>Optimizer steps of the whole run (one per batch, every epoch).</summary>
    public long TotalSteps => (long)Math.Ceiling(TrainExamples / (double)Options.BatchSize) * Options.Epochs;
}

/// <summary>A method from a delegate: <c>FineTuningMethods.Register(new DelegateFineTuningMethod("bitfit", "...", (m, c) => ...))</c>.</summary>
public sealed class DelegateFineTuningMethod(string name, string description, Func<BertForSequenceClassification, FineTuneContext, PreparedClassifier> prepare)
    : IFineTuningMethod
{
    public string Name { get; } = name.ToLowerInvariant();
    public string Description { get; } = description;
    public PreparedClassifier Prepare(BertForSequenceClassification model, FineTuneContext context) => prepare(model, context);
}

/// <summary>The registry behind the runner's methods: one name → one <see cref="IFineTuningMethod"/>. It starts with
/// full, head and every method of <see cref="PeftMethods"/>.</summary>
public static class FineTuningMethods
{
    static readonly Dictionary<string, IFineTuningMethod> Methods = new(StringComparer.OrdinalIgnoreCase);
    static readonly object Gate = new();

    static FineTuningMethods()
    {
        Register(new DelegateFineTuningMethod("full", "every parameter trains (classic fine-tuning)", (m, c) => Plain(m, c)));
        Register(new DelegateFineTuningMethod("head", "the encoder (embeddings + layers) is frozen; the pooler and classifier train",
            (m, c) => { FineTuningFreezing.Apply(m, FreezeMode.Encoder, 0); return Plain(m, c); }));
        foreach (var peft in PeftMethods.All)
            Register(new DelegateFineTuningMethod(peft.Name, peft.Description, (m, c) => Peft(m, peft.DefaultConfig(c.TotalSteps))));
    }

    /// <summary>The plain model as its own module, forward and Hugging Face folder store.</summary>
    public static PreparedClassifier Plain(BertForSequenceClassification model, FineTuneContext context) =>
        new(model, (ids, mask, types, labels) => model.forward(ids, mask, types, labels),
            new HuggingFaceModelStore(context.Tokenizer, context.Options.MaxLength));

    /// <summary>The model with <paramref name="config"/>'s method attached: the PeftModel as the module, its forward, and
    /// a store that saves only the adapter and the head.</summary>
    public static PreparedClassifier Peft(BertForSequenceClassification model, PeftConfig config)
    {
        var peft = PeftModel.Create(model, config);
        return new(peft, (ids, mask, types, labels) => peft.forward(ids, mask, types, labels), new PeftModelStore());
    }

    /// <summary>Adds or replaces a method.</summary>
    public static void Register(IFineTuningMethod method)
    {
        lock (Gate) Methods[method.Name] = method;
    }

    public static IReadOnlyList<string> Names
    {
        get { lock (Gate) return Methods.Keys.Order(StringComparer.Ordinal).ToArray(); }
    }

    public static IFineTuningMethod Get(string name)
    {
        lock (Gate)
            return Methods.TryGetValue(name.Trim(), out var m)
                ? m
                : throw new ArgumentException($"unknown fine-tuning method '{name}'; known: {string.Join(", ", Methods.Keys.Order(StringComparer.Ordinal))}", nameof(name));
    }
}

/// <summary>Freezing = requires_grad_(false): the optimizer never sees those parameters (and AdamW does not decay them).</summary>
public static class FineTuningFreezing
{
    public static void Apply(BertForSequenceClassification model, FreezeMode mode, int lowerLayers)
    {
        var bert = model.Bert;
        if (mode is FreezeMode.Embeddings or FreezeMode.Encoder) SetTrainable(bert.embeddings, false);
        if (mode is FreezeMode.Encoder) SetTrainable(bert.encoder, false);
        if (lowerLayers > model.Config.NumHiddenLayers)
            throw new ArgumentException($"cannot freeze {lowerLayers} layers: the model has {model.Config.NumHiddenLayers}");
        for (int i = 0; i < lowerLayers; i++) SetTrainable(bert.encoder.layer[i], false);
    }

    public static void SetTrainable(nn.Module module, bool trainable)
    {
        foreach (var p in module.parameters()) p.requires_grad_(trainable);
    }
}
