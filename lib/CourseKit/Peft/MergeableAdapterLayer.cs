using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CourseKit.Peft;

/// <summary>
/// An adapter whose update can be folded into the base Linear's weights (LoRA, IA3): <see cref="Merge"/> applies it
/// and removes the hook, so the forward is the plain Linear's at the plain Linear's speed; <see cref="Unmerge"/>
/// takes it back out and hooks the adapter again (to keep training, or to swap adapters).
/// </summary>
public abstract class MergeableAdapterLayer(string name, Linear baseLayer) : LinearAdapterLayer(name, baseLayer)
{
    public bool Merged { get; private set; }

    /// <summary>The method's name in error messages ("LoRA").</summary>
    protected abstract string Method { get; }

    /// <summary>Adds the adapter's update to <see cref="LinearAdapterLayer.Base"/>'s weights (runs without gradients).</summary>
    protected abstract void FoldIntoBase();

    /// <summary>Undoes <see cref="FoldIntoBase"/> up to floating-point rounding (runs without gradients).</summary>
    protected abstract void UnfoldFromBase();

    public void Merge()
    {
        if (Merged) throw new InvalidOperationException($"{Name}: {Method} is already merged");
        using (no_grad()) FoldIntoBase();
        Deactivate();
        Merged = true;
    }

    public void Unmerge()
    {
        if (!Merged) throw new InvalidOperationException($"{Name}: {Method} is not merged");
        using (no_grad()) UnfoldFromBase();
        Activate();
        Merged = false;
    }
}
