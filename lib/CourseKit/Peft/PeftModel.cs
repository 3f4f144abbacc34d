using System.Runtime.CompilerServices;
using CourseKit.Checkpoints;
using CourseKit.Models;
using CourseKit.Text;
using CourseKit.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CourseKit.Peft;

/// <summary>Holds the adapted model under <c>model</c>, so parameter names read <c>base_model.model.bert...</c> as in
/// Hugging Face PEFT.</summary>
public sealed class PeftBaseModel : nn.Module
{
    public readonly BertPreTrainedModel<ClassifierOutput> model;

    internal PeftBaseModel(BertPreTrainedModel<ClassifierOutput> model) : base("PeftBaseModel")
    {
        this.model = model;
        RegisterComponents();
    }
}

/// <summary>
/// A BERT classifier (sequence or token classification) with a parameter-efficient method attached, Hugging Face
/// PEFT's <c>get_peft_model</c>: the base weights are frozen, the method's parameters and the task head are trained.
/// Save writes only those (adapter_config.json + adapter_model.safetensors); <see cref="Load"/> puts them back on a
/// freshly loaded base model. Give the PeftModel to the Trainer as the model: it runs AdaLoRA's schedule itself.
/// </summary>
public sealed class PeftModel : nn.Module<Tensor, ClassifierOutput>, IAfterOptimizerStep, ITrainingState
{
    public const string WeightsFile = "adapter_model.safetensors";
    /// <summary>The prefix of the saved names of the base model's parameters, as in Hugging Face PEFT.</summary>
    public const string SavedPrefix = "base_model.model.";

    public readonly PeftBaseModel base_model;
    public readonly nn.Module? prompt_encoder;

    public BertPreTrainedModel<ClassifierOutput> Model => base_model.model;
    public PeftConfig Config { get; }
    public PeftTuner Tuner { get; }
    /// <summary>Names (in the base model) of the parameters saved with the adapter: the method's and the head's.</summary>
    public IReadOnlyList<string> SavedParameterNames { get; }

    static readonly ConditionalWeakTable<nn.Module, PeftModel> Attached = new();

    PeftModel(BertPreTrainedModel<ClassifierOutput> model, PeftConfig config, PeftTuner tuner, IReadOnlyList<string> saved) : base(nameof(PeftModel))
    {
        Config = config;
        Tuner = tuner;
        SavedParameterNames = saved;
        base_model = new PeftBaseModel(model);
        prompt_encoder = tuner.PromptEncoder;
        RegisterComponents();
    }

    /// <summary>Attaches the method of <paramref name="config"/> to <paramref name="model"/> (in place, as PEFT does):
    /// freezes every base parameter, adds the method's trainable parameters, keeps the modules to save trainable.</summary>
    public static PeftModel Create(BertPreTrainedModel<ClassifierOutput> model, PeftConfig config)
    {
        ArgumentNullException.ThrowIfNull(model);
        config.Validate();
        if (Attached.TryGetValue(model, out _))
            throw new InvalidOperationException($"{model.GetType().Name} already has a PEFT adapter attached; load a fresh base model");
        config = config with
        {
            TaskType = model switch
            {
                BertForSequenceClassification => PeftTaskTypes.SequenceClassification,
                BertForTokenClassification => PeftTaskTypes.TokenClassification,
                _ => config.TaskType,
            },
            ModulesToSave = config.ModulesToSave ?? (model is BertForSequenceClassification ? ["classifier", "pooler"] : ["classifier"]),
        };

        foreach (var p in model.parameters()) p.requires_grad_(false);
        var tuner = config.CreateTuner();
        tuner.Attach(model);
        foreach (var wanted in config.ModulesToSave!)
        {
            var modules = model.named_modules().Where(m => m.name == wanted || m.name.EndsWith("." + wanted, StringComparison.Ordinal)).ToList();
            if (modules.Count == 0)
                throw new ArgumentException($"modules_to_save: the model has no module named '{wanted}'");
            foreach (var (_, module) in modules)
                foreach (var p in module.parameters()) p.requires_grad_(true);
        }
        var saved = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();

        var peft = new PeftModel(model, config, tuner, saved);
        CheckHooksRun(model, tuner);
        Attached.Add(model, peft);
        return peft;
    }

    /// <summary>A forward on two pad tokens must run every hooked layer: a Linear called through forward() instead of
    /// call() would silently skip its adapter.</summary>
    static void CheckHooksRun(BertPreTrainedModel<ClassifierOutput> model, PeftTuner tuner)
    {
        var layers = tuner.Layers.Where(l => l.Active).ToList();
        if (layers.Count == 0) return;
        foreach (var l in layers) l.Fired = false;
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            model.forward(full(1, 2, model.Config.PadTokenId, dtype: int64), null, null, null);
        }
        finally { model.train(wasTraining); }
        var silent = layers.Where(l => !l.Fired).Select(l => l.Name).ToList();
        if (silent.Count > 0)
            throw new InvalidOperationException($"The adapted layers {string.Join(", ", silent)} are not run through Module.call() in " +
                $"{model.GetType().Name}.forward, so their adapters would be skipped; choose other target modules");
    }

    public override ClassifierOutput forward(Tensor inputIds) => forward(inputIds, null, null, null);

    /// <param name="inputIds">[B, T] int64</param>
    /// <param name="attentionMask">[B, T] 1 = token, 0 = padding</param>
    /// <param name="labels">[B] (sequence) or [B, T] (token classification); the loss then includes the method's
    /// regulariser in training mode (AdaLoRA's orthogonality term).</param>
    public ClassifierOutput forward(Tensor inputIds, Tensor? attentionMask, Tensor? tokenTypeIds, Tensor? labels, bool outputAttentions = false)
    {
        var output = Tuner.Forward(Model, inputIds, attentionMask, tokenTypeIds, labels, outputAttentions);
        if (output.Loss is not null && training && Tuner.RegularizationLoss() is { } regularizer)
            output = output with { Loss = output.Loss + regularizer };
        return output;
    }

    public void AfterOptimizerStep(long step) => Tuner.AfterOptimizerStep(step);

    public bool NeedsAfterOptimizerStep => Tuner.HasAfterOptimizerStep;

    public Dictionary<string, Tensor> TrainingState() => Tuner.TrainingState();

    public void LoadTrainingState(IReadOnlyDictionary<string, Tensor> state) => Tuner.LoadTrainingState(state);

    /// <summary>Folds LoRA / IA3 into the base weights; the forward then runs the plain model.</summary>
    public void Merge() => Tuner.Merge();

    public void Unmerge() => Tuner.Unmerge();

    /// <summary>Hugging Face PEFT's <c>merge_and_unload()</c> + <c>save_pretrained</c>: folds LoRA / IA3 into the base
    /// weights (the model stays merged) and writes an ordinary model folder — config.json, model.safetensors without
    /// any adapter tensor, and the tokenizer when given — that <c>BertForSequenceClassification.FromPretrained</c> (or
    /// the token head's) loads with no adapter code, for deployment.</summary>
    public void SaveMerged(string dir, BertTextTokenizer? tokenizer = null, int? modelMaxLength = null)
    {
        if (!Tuner.CanMerge)
            throw new NotSupportedException($"{Config.PeftType}: this method's layers cannot be folded into the base weights (only LoRA and IA3 can); save the adapter with Save instead.");
        if (Tuner.Layers.Cast<MergeableAdapterLayer>().Any(l => !l.Merged)) Merge();
        var adapterNames = Tuner.Layers.SelectMany(l => l.ParameterNames).ToHashSet(StringComparer.Ordinal);
        var tensors = Model.StateDictForSave().Where(kv => !adapterNames.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
        Pretrained.Save(Model, tensors, dir, tokenizer, modelMaxLength);
    }

    public TrainableParameters TrainableParameters() => Peft.TrainableParameters.Of(this);

    /// <summary>The tensors written to adapter_model.safetensors: the method's parameters and the head's, named
    /// <c>base_model.model.&lt;name&gt;</c>, and the method's own tensors (<c>prompt_embeddings</c>).</summary>
    public Dictionary<string, Tensor> AdapterStateDict()
    {
        var byName = Model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        var tensors = SavedParameterNames.ToDictionary(n => SavedPrefix + n, n => byName[n].detach());
        foreach (var (name, t) in Tuner.ExtraTensorsToSave()) tensors.Add(name, t);
        return tensors;
    }

    /// <summary>Writes adapter_config.json and adapter_model.safetensors (only the adapter and the head) to <paramref name="dir"/>.</summary>
    public void Save(string dir)
    {
        Directory.CreateDirectory(dir);
        Config.Save(Path.Combine(dir, PeftConfig.FileName));
        var tensors = AdapterStateDict();
        try { SafeTensorsFile.Save(Path.Combine(dir, WeightsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" }); }
        finally { foreach (var t in tensors.Values) t.Dispose(); }      // detached handles (and prefix tuning's computed prefixes): every checkpoint made them
    }

    /// <summary>Refuses to load weights into an adapter merged into its base: the forward would keep the merged update,
    /// and a later Unmerge would subtract the loaded one from the base weights.</summary>
    internal void RequireUnmerged(string path)
    {
        var merged = Tuner.Layers.OfType<MergeableAdapterLayer>().Where(l => l.Merged).Select(l => l.Name).ToList();
        if (merged.Count > 0)
            throw new InvalidOperationException($"{path}: cannot load {Config.PeftType} weights while the adapter is merged into the base ({merged.Count} layers, e.g. {merged[0]}); Unmerge() first");
    }

    /// <summary>Attaches a saved adapter to <paramref name="model"/> (a base checkpoint loaded with FromPretrained and
    /// the same labels): the outputs are those of the model that was saved. Prefix tuning comes back with its plain
    /// (folded) prefixes. Frozen for inference unless <paramref name="isTrainable"/>.</summary>
    public static PeftModel Load(BertPreTrainedModel<ClassifierOutput> model, string dir, bool isTrainable = false)
    {
        var config = PeftConfig.Load(Path.Combine(dir, PeftConfig.FileName)) with { InferenceMode = true };
        var peft = Create(model, config);
        peft.LoadAdapterWeights(dir);
        if (!isTrainable)
            foreach (var p in peft.parameters()) p.requires_grad_(false);
        return peft;
    }

    /// <summary>Copies adapter_model.safetensors of <paramref name="dir"/> into this model's adapter and head; every
    /// tensor must be there with the right shape.</summary>
    public void LoadAdapterWeights(string dir)
    {
        var path = Path.Combine(dir, WeightsFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: missing adapter weights", path);
        RequireUnmerged(path);
        var byName = Model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        var targets = SavedParameterNames.ToDictionary(n => SavedPrefix + n, n => byName[n]);
        foreach (var (name, t) in Tuner.ExtraTensorsToLoad()) targets.Add(name, t);

        var tensors = SafeTensorsFile.Load(path);
        try
        {
            var missing = targets.Keys.Where(k => !tensors.ContainsKey(k)).ToList();
            var unexpected = tensors.Keys.Where(k => !targets.ContainsKey(k)).ToList();
            if (missing.Count > 0 || unexpected.Count > 0)
                throw new InvalidDataException($"{path}: does not fit this {Config.PeftType} adapter: " +
                    (missing.Count > 0 ? $"missing {string.Join(", ", missing)}. " : "") +
                    (unexpected.Count > 0 ? $"unexpected {string.Join(", ", unexpected)}." : ""));
            foreach (var (name, dest) in targets)
                if (!dest.shape.SequenceEqual(tensors[name].shape))
                    throw new InvalidDataException($"{path}: tensor '{name}' has shape [{string.Join(", ", tensors[name].shape)}] " +
                        $"but the model expects [{string.Join(", ", dest.shape)}] (another base model or number of labels?)");
            using var noGrad = no_grad();
            foreach (var (name, dest) in targets) dest.copy_(tensors[name]);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }
}
