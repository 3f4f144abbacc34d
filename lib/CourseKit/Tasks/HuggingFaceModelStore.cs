using CourseKit.Models;
using CourseKit.Text;
using CourseKit.Training;
using TorchSharp;

namespace CourseKit.Tasks;

/// <summary>Trainer checkpoints in the Hugging Face folder layout, so any checkpoint is also a loadable model folder.
/// It lives with the tasks, not the models: the Trainer's store interface is the tasks' business, and Models depends
/// on nothing above it.</summary>
public sealed class HuggingFaceModelStore(BertTextTokenizer? tokenizer = null, int? modelMaxLength = null) : IModelStore
{
    public void Save(torch.nn.Module model, string dir) => Pretrained.Save(AsHuggingFace(model), dir, tokenizer, modelMaxLength);

    public void Load(torch.nn.Module model, string dir)
    {
        var report = Pretrained.LoadWeights(AsHuggingFace(model), dir);
        if (!report.IsComplete) throw new InvalidDataException($"{dir}: checkpoint does not fill the model: {report}");
    }

    static IHuggingFaceModel AsHuggingFace(torch.nn.Module model) => model as IHuggingFaceModel
        ?? throw new ArgumentException($"{model.GetType().Name} is not a Hugging Face-layout model; use StateDictStore");
}
