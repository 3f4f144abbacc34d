using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CourseKit.Attention;

/// <summary>
/// Multi-head attention (Vaswani et al. 2017, 3.2.2) as a TorchSharp module over (batch, seq, d_model) inputs:
/// q/k/v projections, split into n_heads heads of d_model/n_heads, scaled dot-product attention per head, merge,
/// output projection. Masks and the fully-masked-row convention are those of <see cref="ScaledDotProductAttention"/>;
/// a (batch, S) padding mask should go through <see cref="AttentionMasks.Padding"/> to broadcast over heads.
///
/// Parameters: q_proj, k_proj, v_proj, out_proj (torch Linear: weight is d_out × d_in, y = x Wᵀ + b).
/// <c>dropout</c> is applied to the attention weights in training mode only.
/// Set <see cref="CaptureWeights"/> to keep the last call's (batch, heads, L, S) weights in <see cref="LastWeights"/>
/// (forces the explicit path), e.g. to plot attention maps from inside a model.
/// </summary>
public sealed class MultiHeadAttention : nn.Module<Tensor, Tensor>
{
    private readonly Linear q_proj, k_proj, v_proj, out_proj;

    public long DModel { get; }
    public long NumHeads { get; }
    public long HeadDim => DModel / NumHeads;
    public double DropoutP { get; }

    /// <summary>Use libtorch's fused kernel when weights are not needed (default true).</summary>
    public bool UseFused { get; set; } = true;

    public bool CaptureWeights { get; set; }
    public Tensor? LastWeights { get; private set; }

    public Linear QProj => q_proj;
    public Linear KProj => k_proj;
    public Linear VProj => v_proj;
    public Linear OutProj => out_proj;

    public MultiHeadAttention(long dModel, long numHeads, double dropout = 0.0, bool bias = true,
        string name = "MultiHeadAttention") : base(name)
    {
        if (numHeads <= 0 || dModel % numHeads != 0)
            throw new ArgumentException($"d_model = {dModel} is not divisible by numHeads = {numHeads}.", nameof(numHeads));
        if (dropout < 0 || dropout >= 1)
            throw new ArgumentOutOfRangeException(nameof(dropout), $"dropout must be in [0, 1), got {dropout}.");
        (DModel, NumHeads, DropoutP) = (dModel, numHeads, dropout);
        q_proj = nn.Linear(dModel, dModel, hasBias: bias);
        k_proj = nn.Linear(dModel, dModel, hasBias: bias);
        v_proj = nn.Linear(dModel, dModel, hasBias: bias);
        out_proj = nn.Linear(dModel, dModel, hasBias: bias);
        RegisterComponents();
    }

    /// <summary>Unmasked self-attention.</summary>
    public override Tensor forward(Tensor x) => forward(x, x, x);

    /// <summary>query (B, L, d_model), key/value (B, S, d_model), mask broadcastable to (B, heads, L, S).</summary>
    public Tensor forward(Tensor query, Tensor key, Tensor value, Tensor? mask = null, bool isCausal = false)
    {
        if (UseFused && !CaptureWeights) return Attend(query, key, value, mask, isCausal, needWeights: false).Output;
        var (output, weights) = Attend(query, key, value, mask, isCausal, needWeights: true);
        if (CaptureWeights)
        {
            LastWeights?.Dispose();
            LastWeights = weights!.detach().DetachFromDisposeScope(); // owned by this module until the next call
        }
        weights!.Dispose();
        return output;
    }

    /// <summary>Output (B, L, d_model) and attention weights (B, heads, L, S); always the explicit path.</summary>
    public (Tensor Output, Tensor Weights) ForwardWithWeights(Tensor query, Tensor key, Tensor value,
        Tensor? mask = null, bool isCausal = false)
    {
        var (output, weights) = Attend(query, key, value, mask, isCausal, needWeights: true);
        return (output, weights!);
    }

    private (Tensor Output, Tensor? Weights) Attend(Tensor query, Tensor key, Tensor value, Tensor? mask,
        bool isCausal, bool needWeights)
    {
        CheckInput(nameof(query), query);
        CheckInput(nameof(key), key);
        CheckInput(nameof(value), value);
        using var scope = torch.NewDisposeScope();
        var q = SplitHeads(q_proj.forward(query));
        var k = SplitHeads(k_proj.forward(key));
        var v = SplitHeads(v_proj.forward(value));

        Tensor heads;
        Tensor? weights = null;
        if (needWeights)
            (heads, weights) = ScaledDotProductAttention.Explicit(q, k, v, mask, isCausal, DropoutP, training);
        else
            heads = ScaledDotProductAttention.Fused(q, k, v, mask, isCausal, DropoutP, training);

        var output = out_proj.forward(MergeHeads(heads)).MoveToOuterDisposeScope();
        return (output, weights?.MoveToOuterDisposeScope());
    }

    /// <summary>(B, T, d_model) → (B, heads, T, head_dim).</summary>
    private Tensor SplitHeads(Tensor x) => x.view(x.shape[0], x.shape[1], NumHeads, HeadDim).transpose(1, 2);

    /// <summary>(B, heads, T, head_dim) → (B, T, d_model).</summary>
    private Tensor MergeHeads(Tensor x) => x.transpose(1, 2).contiguous().view(x.shape[0], x.shape[2], DModel);

    private void CheckInput(string name, Tensor t)
    {
        if (t.dim() != 3 || t.shape[2] != DModel)
            throw new ArgumentException(
                $"{name} must be (batch, seq, d_model = {DModel}), got [{string.Join(", ", t.shape)}].", name);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) { LastWeights?.Dispose(); LastWeights = null; }
        base.Dispose(disposing);
    }
}
