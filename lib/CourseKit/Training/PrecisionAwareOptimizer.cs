using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CourseKit.Training;

/// <summary>
/// The optimizer side of a training step, the same under either <see cref="Precision"/>: AdamW over the trainable
/// parameters (under bf16, over their fp32 master copies), gradient clipping, and under bf16 the round trip of
/// <see cref="Bf16MasterWeights"/>. The Trainer's loop and the training benchmark both step through it, so the step
/// they time is the step that trains.
/// </summary>
public sealed class PrecisionAwareOptimizer
{
    readonly nn.Module _model;
    readonly Bf16MasterWeights? _mixed;
    readonly List<Parameter> _clipped;
    readonly ZeroMask? _holdZeros;
    readonly Dictionary<string, Parameter> _byName;

    /// <summary>Under <see cref="Precision.Bf16"/> this converts <paramref name="model"/> to bf16 (masters kept in fp32);
    /// <see cref="Finish"/> converts it back. With <paramref name="holdZeros"/> the masked weights are zeroed again after
    /// every step, in the tensors the optimizer updated (so under bf16 the masters stay sparse, and the model with them).</summary>
    public PrecisionAwareOptimizer(nn.Module model, TrainerOptions o, ZeroMask? holdZeros = null)
    {
        _model = model;
        _holdZeros = holdZeros;
        _byName = holdZeros is null ? [] : model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        if (o.Precision == Precision.Bf16 && model is IAfterOptimizerStep { NeedsAfterOptimizerStep: true })
            throw new NotSupportedException($"{model.GetType().Name} changes its weights after each optimizer step, which bf16 master weights would undo; train it in fp32");
        _mixed = o.Precision == Precision.Bf16 ? new Bf16MasterWeights(model) : null;
        try { Optimizer = ParameterGroups.AdamW(model, o, _mixed is null ? null : _mixed.MasterOf); }
        catch
        {
            _mixed?.RestoreFp32Model();   // a refused optimizer must not leave the caller's model in bf16
            throw;
        }
        _clipped = _mixed?.Masters.ToList() ?? model.parameters().Where(p => p.requires_grad).ToList();
    }

    /// <summary>The AdamW instance (for the learning-rate schedule and checkpoints).</summary>
    public optim.Optimizer Optimizer { get; }

    public void ZeroGrad() => Optimizer.zero_grad();

    /// <summary>After backward: gradients to the masters (bf16), clipping at <paramref name="maxGradNorm"/> (≤ 0: none),
    /// the AdamW step, and the updated masters back into the model (rounded to bf16).</summary>
    public void Step(double maxGradNorm)
    {
        _mixed?.GradientsToMasters();
        if (maxGradNorm > 0) nn.utils.clip_grad_norm_(_clipped, maxGradNorm);
        Optimizer.step();
        _holdZeros?.Apply(name => _mixed?.MasterOf(name) ?? _byName[name]);
        _mixed?.MastersToModel();
    }

    /// <summary>Runs <paramref name="body"/> on the model in fp32 holding the master values (evaluation, saving and
    /// loading checkpoints); a plain call under fp32. With <paramref name="loadIntoMasters"/> what the body loaded into
    /// the model becomes the masters.</summary>
    public void AtFullPrecision(Action body, bool loadIntoMasters = false)
    {
        if (_mixed is null) body();
        else _mixed.WithFp32Model(body, loadIntoMasters);
    }

    /// <summary><see cref="AtFullPrecision(Action, bool)"/> for a body that returns what it computed (evaluation
    /// metrics, a checkpoint path, a restored state).</summary>
    public TResult AtFullPrecision<TResult>(Func<TResult> body, bool loadIntoMasters = false)
    {
        TResult result = default!;
        AtFullPrecision(() => { result = body(); }, loadIntoMasters);   // a statement body: binds to the Action overload
        return result;
    }

    /// <summary>The model's own hook after a step (AdaLoRA's rank allocation); only fp32 allows one.</summary>
    public void AfterStep(long step)
    {
        if (_mixed is null) (_model as IAfterOptimizerStep)?.AfterOptimizerStep(step);
    }

    /// <summary>Ends training: under bf16 the model returns to fp32 with the master values; the optimizer's state and
    /// the masters are freed (native memory, which the .NET collector does not see). Safe to call twice.</summary>
    public void Finish()
    {
        if (_finished) return;
        _finished = true;
        _mixed?.RestoreFp32Model();
        _mixed?.DisposeMasters();
        Optimizer.Dispose();
    }

    bool _finished;
}
