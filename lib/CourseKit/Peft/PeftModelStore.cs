using CourseKit.Checkpoints;
using CourseKit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Peft;

/// <summary>Trainer checkpoints of a <see cref="PeftModel"/> that hold only the trained part: the adapter in its
/// exported form (adapter_config.json + adapter_model.safetensors, what <see cref="PeftModel.Load"/> reads) and the
/// trainable parameters in their training form (prefix tuning exports folded prefixes, but training continues from
/// its reparameterisation MLP), so resuming and keep-best work for every method.</summary>
public sealed class PeftModelStore : IModelStore
{
    public const string TrainingStateFile = "trainable_state.safetensors";

    public void Save(nn.Module model, string dir)
    {
        var peft = AsPeft(model);
        peft.Save(dir);
        var trainable = peft.named_parameters().Where(p => p.parameter.requires_grad)
            .ToDictionary(p => p.name, p => (Tensor)p.parameter);
        SafeTensorsFile.Save(Path.Combine(dir, TrainingStateFile), trainable);
    }

    public void Load(nn.Module model, string dir)
    {
        var peft = AsPeft(model);
        var path = Path.Combine(dir, TrainingStateFile);
        if (!File.Exists(path)) { peft.LoadAdapterWeights(dir); return; } // an exported adapter folder
        peft.RequireUnmerged(path);
        var saved = SafeTensorsFile.Load(path);
        try
        {
            var parameters = peft.named_parameters().Where(p => p.parameter.requires_grad).ToDictionary(p => p.name, p => p.parameter);
            var missing = parameters.Keys.Except(saved.Keys).ToList();
            if (missing.Count > 0) throw new InvalidDataException($"{path}: no value for trainable parameter(s) {string.Join(", ", missing)}");
            using var noGrad = torch.no_grad();
            foreach (var (name, p) in parameters)
            {
                if (!p.shape.SequenceEqual(saved[name].shape))
                    throw new InvalidDataException($"{path}: tensor '{name}' has shape [{string.Join(", ", saved[name].shape)}], the model [{string.Join(", ", p.shape)}]");
                p.copy_(saved[name]);
            }
        }
        finally
        {
            foreach (var t in saved.Values) t.Dispose();
        }
    }

    static PeftModel AsPeft(nn.Module model) => model as PeftModel
        ?? throw new ArgumentException($"PeftModelStore stores a PeftModel, not a {model.GetType().Name}");
}
