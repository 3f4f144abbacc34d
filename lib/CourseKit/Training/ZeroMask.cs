using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Training;

/// <summary>
/// Weights held at zero while a pruned model is retrained: every entry that is exactly zero in the covered parameters
/// when training starts stays zero after every optimizer step (the mask is re-applied to what the optimizer updated:
/// the parameter itself under fp32, its fp32 master under bf16). Without it, AdamW moves a pruned weight as soon as it
/// gets a gradient, and the sparsity is gone after the first step. Only parameters holding at least one zero are kept.
/// </summary>
public sealed class ZeroMask : IDisposable
{
    readonly List<(string Name, Tensor Keep)> _masks;   // 1 where the weight trains, 0 where it stays zero

    ZeroMask(List<(string, Tensor)> masks, long heldZeros)
    {
        _masks = masks;
        HeldZeros = heldZeros;
    }

    /// <summary>Zero entries held, over all covered parameters.</summary>
    public long HeldZeros { get; }

    /// <param name="covers">which trainable parameters (by name) the mask may hold, e.g. the encoder's.</param>
    public static ZeroMask Capture(nn.Module model, Func<string, bool> covers)
    {
        using var noGrad = no_grad();
        var masks = new List<(string, Tensor)>();
        long held = 0;
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (!parameter.requires_grad || !covers(name)) continue;
            using var isZero = parameter.detach().eq(0);
            long zeros = isZero.sum().item<long>();
            if (zeros == 0) continue;
            masks.Add((name, isZero.logical_not().to(ScalarType.Float32)));
            held += zeros;
        }
        return new ZeroMask(masks, held);
    }

    /// <summary>Zeroes the held entries of each covered tensor; <paramref name="tensorOf"/> maps a parameter name to the
    /// tensor the optimizer updated.</summary>
    public void Apply(Func<string, Tensor> tensorOf)
    {
        using var noGrad = no_grad();
        foreach (var (name, keep) in _masks)
        {
            var target = tensorOf(name);
            if (target.dtype == keep.dtype && target.device == keep.device) target.mul_(keep);
            else
            {
                using var cast = keep.to(target.dtype, target.device);
                target.mul_(cast);
            }
        }
    }

    public void Dispose()
    {
        foreach (var (_, keep) in _masks) keep.Dispose();
        _masks.Clear();
    }
}
