using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CourseKit.Training;

/// <summary>The arithmetic of a training step: fp32 throughout, or bf16 weights and activations with fp32 master weights.</summary>
public enum Precision { Fp32, Bf16 }

/// <summary>
/// bf16 mixed-precision training on weights an optimizer updates in fp32 (Micikevicius et al. 2018, "Mixed Precision
/// Training"; bf16 as in Kalamkar et al. 2019). The model's parameters are bf16, so forward and backward run bf16
/// kernels (AVX-512 BF16 / AMX on CPUs that have them); every trainable parameter has an fp32 master copy that the
/// optimizer steps, because an update of 1e-4 relative size vanishes when added to a bf16 weight (8 bits of mantissa).
/// bf16 keeps fp32's exponent range, so no loss scaling is needed (unlike fp16). TorchSharp 0.107 has no autocast.
/// </summary>
public sealed class Bf16MasterWeights
{
    readonly nn.Module _model;
    readonly List<(string Name, Parameter Master)> _masters;
    readonly Dictionary<string, Parameter> _byName;

    /// <summary>Takes fp32 master copies of the trainable parameters, then converts <paramref name="model"/> to bf16.</summary>
    public Bf16MasterWeights(nn.Module model)
    {
        _model = model;
        _masters = model.named_parameters()
            .Where(p => p.parameter.requires_grad && p.parameter.dtype == ScalarType.Float32)
            .Select(p => (p.name, new Parameter(p.parameter.detach().clone(), requires_grad: true)))
            .ToList();
        if (_masters.Count == 0) throw new InvalidOperationException("bf16 training needs trainable fp32 parameters; the model has none");
        _byName = _masters.ToDictionary(m => m.Name, m => m.Master);
        ConvertModel(ScalarType.BFloat16);
    }

    /// <summary>The fp32 master copies in the model's parameter order: what the optimizer updates and clipping reads.</summary>
    public IReadOnlyList<Parameter> Masters => _masters.Select(m => m.Master).ToList();

    /// <summary>The master copy of the named parameter (for an optimizer built from the model's parameter names).</summary>
    public Parameter MasterOf(string name) => _byName.TryGetValue(name, out var p) ? p
        : throw new KeyNotFoundException($"'{name}' has no fp32 master copy (not a trainable fp32 parameter when bf16 training started)");

    /// <summary>Moves the bf16 gradients into fp32 on the masters and clears them on the model.</summary>
    public void GradientsToMasters()
    {
        var model = ModelParameters();
        foreach (var (name, master) in _masters)
        {
            var grad = model[name].grad;
            if (grad is null) { master.grad = null; continue; }
            master.grad = grad.to(ScalarType.Float32).detach();
            model[name].grad = null;
        }
    }

    /// <summary>Copies the masters into the model's parameters: rounded into bf16 after a step, exact while it is fp32.</summary>
    public void MastersToModel()
    {
        var model = ModelParameters();
        using var noGrad = torch.no_grad();
        foreach (var (name, master) in _masters) model[name].copy_(master);
    }

    /// <summary>Runs <paramref name="body"/> with the model in fp32 holding the master values (to save or load a
    /// checkpoint at full precision), then returns it to bf16. With <paramref name="loadIntoMasters"/> the fp32 values the
    /// body left in the model (a loaded checkpoint) become the masters.</summary>
    public void WithFp32Model(Action body, bool loadIntoMasters = false)
    {
        ConvertModel(ScalarType.Float32);
        try
        {
            MastersToModel();
            body();
            if (loadIntoMasters) CopyModelIntoMasters();
        }
        finally { ConvertModel(ScalarType.BFloat16); MastersToModel(); }
    }

    /// <summary>Ends mixed precision: the model returns to fp32 with the master values (what callers get after training).</summary>
    public void RestoreFp32Model()
    {
        ConvertModel(ScalarType.Float32);
        MastersToModel();
    }

    /// <summary>Frees the master copies and their gradients (after <see cref="RestoreFp32Model"/>). Native memory is
    /// invisible to the .NET collector: left to finalizers, a run's masters (and the optimizer's moments) outlive it, and
    /// a process that trains five QA readers in a row grew past 11 GB and was killed for memory.</summary>
    public void DisposeMasters()
    {
        foreach (var (_, master) in _masters)
        {
            master.grad?.Dispose();
            master.Dispose();
        }
        _masters.Clear();
        _byName.Clear();
    }

    void CopyModelIntoMasters()
    {
        var model = ModelParameters();
        using var noGrad = torch.no_grad();
        foreach (var (name, master) in _masters) master.copy_(model[name]);
    }

    /// <summary>Module.to(dtype) on the model and on every submodule: TorchSharp's built-in layers (Linear) convert only
    /// their own weight and bias, not modules registered under them (PEFT's lora_A/lora_B live under the Linear they adapt).
    /// A parameter registered by hand on a built-in layer (IA3's ia3_l) is not converted at all and stays fp32: it is
    /// then its own master's exact copy, and the layer must cast it to the activations' dtype (IA3Layer does). Going
    /// back to fp32, every parameter must be fp32 again.</summary>
    void ConvertModel(ScalarType dtype)
    {
        _model.to(dtype);
        foreach (var (_, module) in _model.named_modules()) module.to(dtype);
        var left = _model.named_parameters().FirstOrDefault(p => p.parameter.is_floating_point() && p.parameter.dtype is not ScalarType.Float32 && p.parameter.dtype != dtype);
        if (left.name is not null) throw new InvalidOperationException($"parameter '{left.name}' stayed {left.parameter.dtype} when the model was converted to {dtype}");
    }

    Dictionary<string, Parameter> ModelParameters() => _model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
}
