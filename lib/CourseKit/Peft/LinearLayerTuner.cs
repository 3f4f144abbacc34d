using CourseKit.Models;
using TorchSharp.Modules;

namespace CourseKit.Peft;

/// <summary>
/// A tuner that wraps every targeted Linear in one adapter layer (LoRA, IA3): Hugging Face PEFT's
/// <c>_create_and_replace</c> over the modules that match <c>target_modules</c>. Each method only says how to build
/// its layer from the base Linear.
/// </summary>
public abstract class LinearLayerTuner<TLayer>(TargetModules targets, IReadOnlyList<string>? modulesToSave, string methodName,
    Func<string, Linear, TLayer> createLayer) : PeftTuner where TLayer : LinearAdapterLayer
{
    readonly List<TLayer> layers = [];
    public override IReadOnlyList<LinearAdapterLayer> Layers => layers;
    protected IReadOnlyList<TLayer> TypedLayers => layers;

    internal override void Attach(BertPreTrainedModel<ClassifierOutput> model)
    {
        foreach (var (name, linear) in FindTargets(model, targets, modulesToSave ?? [], methodName))
            layers.Add(createLayer(name, linear));
    }
}
