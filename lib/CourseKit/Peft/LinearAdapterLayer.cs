using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CourseKit.Peft;

/// <summary>
/// A method's layer on one Linear of the base model. The Linear stays where it is (its field, its name, its weight
/// <c>...query.weight</c>); the adapter's parameters are registered on it (<c>...query.lora_A.weight</c>, as the keys
/// Hugging Face PEFT saves) and its computation runs as a forward hook of the Linear, which BERT calls through
/// <c>Module.call</c>. Deactivating removes the hook: the forward is then the plain Linear's.
/// </summary>
public abstract class LinearAdapterLayer
{
    /// <summary>Full module name in the base model, e.g. <c>bert.encoder.layer.0.attention.self.query</c>.</summary>
    public string Name { get; }
    public Linear Base { get; }
    nn.Module<Tensor, Tensor>.HookRemover? hook;
    internal bool Fired;
    readonly List<string> parameterNames = [];

    protected LinearAdapterLayer(string name, Linear baseLayer)
    {
        Name = name;
        Base = baseLayer;
    }

    /// <summary>Full names of the parameters this adapter registered on the Linear (e.g. <c>...query.lora_A.weight</c>).</summary>
    public IReadOnlyList<string> ParameterNames => parameterNames;

    /// <summary>True while the adapter runs in the Linear's forward.</summary>
    public bool Active => hook is not null;

    /// <summary>True: the adapter transforms the Linear's input (IA3 on the feed-forward); false: its output.</summary>
    protected virtual bool OnInput => false;

    protected virtual Tensor AdaptInput(Tensor x) => x;

    /// <param name="x">the Linear's input [..., in]</param>
    /// <param name="y">the Linear's output [..., out]</param>
    protected virtual Tensor AdaptOutput(Tensor x, Tensor y) => y;

    internal void Activate()
    {
        if (hook is not null) return;
        hook = OnInput
            ? Base.register_forward_pre_hook((nn.Module<Tensor, Tensor> _, Tensor x) => { Fired = true; return AdaptInput(x); })
            : Base.register_forward_hook((nn.Module<Tensor, Tensor> _, Tensor x, Tensor y) => { Fired = true; return AdaptOutput(x, y); });
    }

    internal void Deactivate()
    {
        hook?.remove();
        hook = null;
    }

    protected Parameter AddParameter(string name, Tensor value)
    {
        var p = new Parameter(value, requires_grad: true);
        Base.register_parameter(name, p);
        parameterNames.Add($"{Name}.{name}");
        return p;
    }

    protected T AddModule<T>(string name, T module) where T : nn.Module
    {
        Base.register_module(name, module);
        foreach (var (local, p) in module.named_parameters())
        {
            p.requires_grad_(true);
            parameterNames.Add($"{Name}.{name}.{local}");
        }
        return module;
    }

    protected bool Training => Base.training;
}
