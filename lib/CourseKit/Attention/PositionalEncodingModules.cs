using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CourseKit.Attention;

/// <summary>
/// Adds fixed sinusoidal encodings (Vaswani et al. 2017, 3.5) to (batch, seq, d_model) inputs.
/// The table is the non-persistent buffer "pe" (maxLength × d_model); it is not saved in checkpoints.
/// </summary>
public sealed class SinusoidalPositionalEncoding : nn.Module<Tensor, Tensor>
{
    private readonly Tensor pe;
    public long MaxLength { get; }

    public SinusoidalPositionalEncoding(long maxLength, long dModel, string name = "SinusoidalPositionalEncoding")
        : base(name)
    {
        MaxLength = maxLength;
        pe = Table(maxLength, dModel);
        register_buffer("pe", pe, persistent: false);
    }

    /// <summary>PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d)); float32.</summary>
    public static Tensor Table(long maxLength, long dModel, ScalarType dtype = ScalarType.Float32)
    {
        using var scope = torch.NewDisposeScope();
        var pos = torch.arange(maxLength, dtype: ScalarType.Float64).unsqueeze(1);                  // (maxLen, 1)
        var twoI = torch.arange(dModel, dtype: ScalarType.Int64).div(2, rounding_mode: RoundingMode.floor).mul(2)
            .to_type(ScalarType.Float64);                                                           // 0,0,2,2,4,4,...
        var angle = pos / torch.pow(10000.0, twoI / dModel);                                        // (maxLen, d)
        var isEven = torch.arange(dModel).remainder(2).eq(0);
        return torch.where(isEven, angle.sin(), angle.cos()).to_type(dtype).MoveToOuterDisposeScope();
    }

    public override Tensor forward(Tensor x)
    {
        if (x.dim() != 3 || x.shape[1] > MaxLength || x.shape[2] != pe.shape[1])
            throw new ArgumentException(
                $"input must be (batch, seq <= {MaxLength}, d_model = {pe.shape[1]}), got [{string.Join(", ", x.shape)}].", nameof(x));
        using var rows = pe.narrow(0, 0, x.shape[1]).to(x.dtype, x.device);
        return x + rows;
    }
}

/// <summary>Adds learned positional embeddings (a maxLength × d_model lookup table, as GPT-2/BERT) to (batch, seq, d_model) inputs.</summary>
public sealed class LearnedPositionalEncoding : nn.Module<Tensor, Tensor>
{
    private readonly Embedding table;
    public long MaxLength { get; }

    public Embedding Table => table;

    public LearnedPositionalEncoding(long maxLength, long dModel, string name = "LearnedPositionalEncoding") : base(name)
    {
        MaxLength = maxLength;
        table = nn.Embedding(maxLength, dModel);
        using (torch.no_grad()) nn.init.normal_(table.weight!, 0.0, 0.02);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (x.dim() != 3 || x.shape[1] > MaxLength)
            throw new ArgumentException(
                $"input must be (batch, seq <= {MaxLength}, d_model), got [{string.Join(", ", x.shape)}].", nameof(x));
        using var positions = torch.arange(x.shape[1], dtype: ScalarType.Int64, device: x.device);
        using var rows = table.forward(positions);
        return x + rows;
    }
}
