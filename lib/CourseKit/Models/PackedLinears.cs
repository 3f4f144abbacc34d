using System.Runtime.CompilerServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CourseKit.Models;

/// <summary>
/// Inference with every Linear of a model run through <see cref="OneDnnLinear"/> on weights reordered once. While the
/// returned handle lives, the model's layers route each <see cref="PackedLinearExtensions.Project"/> call with
/// gradients off to the packed weight; with gradients on (training) they run the ordinary Linear, so a packed model
/// still trains correctly, on the ordinary path. Disposing the handle frees the packed weights and restores the
/// ordinary path everywhere. Pack a plain model: the packed path skips module hooks, through which PEFT adapters act,
/// so <see cref="Pack"/> refuses a model holding any CourseKit.Peft module. Weights changed after packing are not seen
/// until the model is packed again.
/// </summary>
public sealed class PackedLinears : IDisposable
{
    static readonly ConditionalWeakTable<Linear, Tensor> Packed = new();
    readonly List<Linear> _linears = [];

    PackedLinears() { }

    /// <summary>Linears packed by this handle.</summary>
    public int Count => _linears.Count;

    /// <summary>Packs every Linear of <paramref name="model"/> that has a 2-D float32 CPU weight.</summary>
    public static PackedLinears Pack(nn.Module model)
    {
        if (model.modules().Prepend(model).FirstOrDefault(m => m.GetType().Namespace?.StartsWith("CourseKit.Peft", StringComparison.Ordinal) == true) is { } peft)
            throw new ArgumentException($"{peft.GetType().Name}: a PEFT model acts through module hooks that the packed path skips; merge the adapter or run unpacked");
        var handle = new PackedLinears();
        using var noGrad = no_grad();
        foreach (var linear in model.modules().OfType<Linear>())
        {
            var weight = linear.weight!;
            if (weight.dim() != 2 || weight.dtype != ScalarType.Float32 || weight.device_type != DeviceType.CPU) continue;
            if (Packed.TryGetValue(linear, out _))
            {
                handle.Dispose();
                throw new InvalidOperationException("this model is packed already; dispose the first PackedLinears handle before packing it again");
            }
            Packed.Add(linear, OneDnnLinear.Pack(weight));
            handle._linears.Add(linear);
        }
        return handle;
    }

    internal static bool TryGet(Linear linear, out Tensor packed) => Packed.TryGetValue(linear, out packed!);

    public void Dispose()
    {
        foreach (var linear in _linears)
            if (Packed.TryGetValue(linear, out var packed))
            {
                Packed.Remove(linear);
                packed.Dispose();
            }
        _linears.Clear();
    }
}

public static class PackedLinearExtensions
{
    /// <summary>x · Wᵀ + b: the packed oneDNN weight when this Linear is packed and gradients are off, else the
    /// Linear's own call (which runs its hooks, e.g. LoRA's).</summary>
    public static Tensor Project(this Linear linear, Tensor x) =>
        !is_grad_enabled() && PackedLinears.TryGet(linear, out var packed) ? OneDnnLinear.Run(x, packed, linear.bias) : linear.call(x);
}
