using CourseKit.Training;
using static TorchSharp.torch;

namespace CourseKit.Peft;

/// <summary>Trainer checkpoints of a <see cref="PeftModel"/> that hold only the adapter and the head
/// (adapter_config.json + adapter_model.safetensors), so a checkpoint is as small as the trained part.</summary>
public sealed class PeftModelStore : IModelStore
{
    public void Save(nn.Module model, string dir) => AsPeft(model).Save(dir);
    public void Load(nn.Module model, string dir) => AsPeft(model).LoadAdapterWeights(dir);

    static PeftModel AsPeft(nn.Module model) => model as PeftModel
        ?? throw new ArgumentException($"PeftModelStore stores a PeftModel, not a {model.GetType().Name}");
}
