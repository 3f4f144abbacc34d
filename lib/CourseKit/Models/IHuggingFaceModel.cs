using static TorchSharp.torch;

namespace CourseKit.Models;

/// <summary>What the checkpoint code needs from a model: load HF-named tensors, hand back HF-named tensors to save,
/// write config.json.</summary>
public interface IHuggingFaceModel
{
    /// <summary>Copies the tensors whose names match into the model (under no_grad) and reports what did not match,
    /// the way Hugging Face's from_pretrained does. Throws <see cref="StateDictShapeException"/> on a shape mismatch
    /// unless <paramref name="ignoreMismatchedSizes"/> (then the tensor keeps its fresh initialisation).</summary>
    LoadReport Load(IReadOnlyDictionary<string, Tensor> weights, bool ignoreMismatchedSizes = false);

    /// <summary>The tensors to write to model.safetensors, HF names and layout; tied copies left out as HF's
    /// save_pretrained does (see <see cref="TiedWeights"/>).</summary>
    Dictionary<string, Tensor> StateDictForSave();

    /// <summary>HF name of a tied weight → the name it is stored under (e.g. lm_head.weight → transformer.wte.weight).</summary>
    IReadOnlyDictionary<string, string> TiedWeights { get; }

    void SaveConfig(string path);
}
