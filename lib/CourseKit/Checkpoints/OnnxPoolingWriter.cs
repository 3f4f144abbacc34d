using CourseKit.Models;
using DataType = Onnx.TensorProto.Types.DataType;

namespace CourseKit.Checkpoints;

/// <summary>Sentence pooling and L2 normalisation as ONNX nodes, the same arithmetic as <see cref="SentenceEncoder.Pool"/>
/// and <see cref="SentenceEncoder.Normalize"/>.</summary>
internal static class OnnxPoolingWriter
{
    /// <summary>[B, T, H] and the [B, T] int64 mask → [B, H]: masked mean (count clamped at 1e-9) or the [CLS] state.</summary>
    public static string Pool(OnnxGraphBuilder g, string hidden, string attentionMask, SentencePooling pooling)
    {
        if (pooling == SentencePooling.Cls)
            return g.Node("Gather", [hidden, g.Int64s(g.Fresh("zero"), [0])], null, OnnxGraphBuilder.Int("axis", 1));
        var mask = g.Node("Unsqueeze", [g.Node("Cast", [attentionMask], null, OnnxGraphBuilder.Int("to", (long)DataType.Float)), g.Longs(2)]);  // [B, T, 1]
        var tokens = g.Longs(1);
        var summed = g.Node("ReduceSum", [g.Node("Mul", [hidden, mask]), tokens], null, OnnxGraphBuilder.Int("keepdims", 0));     // [B, H]
        var counts = g.Node("Max", [g.Node("ReduceSum", [mask, tokens], null, OnnxGraphBuilder.Int("keepdims", 0)), g.Scalar(1e-9f, "count_floor")]);  // [B, 1]
        return g.Node("Div", [summed, counts]);
    }

    /// <summary>Rows divided by their L2 norm, the norm clamped at 1e-12 (torch.nn.functional.normalize).</summary>
    public static string Normalized(OnnxGraphBuilder g, string x)
    {
        var norm = g.Node("ReduceL2", [x], null, OnnxGraphBuilder.Ints("axes", 1), OnnxGraphBuilder.Int("keepdims", 1));   // [B, 1]
        return g.Node("Div", [x, g.Node("Max", [norm, g.Scalar(1e-12f, "norm_floor")])]);
    }
}
