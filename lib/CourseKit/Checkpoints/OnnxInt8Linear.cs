using DataType = Onnx.TensorProto.Types.DataType;

namespace CourseKit.Checkpoints;

/// <summary>
/// int8 matrix products in the pattern ONNX Runtime's own dynamic quantization writes (quantize_dynamic with
/// per_channel): the weight is quantized once, here, per output channel and symmetrically (int8, zero point 0, scale =
/// max |w| of the column / 127); the activation is quantized per tensor at run time by DynamicQuantizeLinear (uint8 with
/// a zero point). MatMulInteger multiplies the integers (int32 accumulators); Cast and one Mul by
/// activation scale × column scales bring it back to float. ONNX Runtime fuses the chain into its
/// DynamicQuantizeMatMul kernel (u8×s8 with VNNI on CPUs that have it).
/// </summary>
public static class OnnxInt8Linear
{
    /// <summary>Largest quantized magnitude: ±127 keeps the int8 range symmetric (−128 unused).</summary>
    public const int QuantMax = 127;

    /// <summary>Per-column symmetric int8 of a row-major [in, out] matrix: the integers and one scale per column.</summary>
    public static (sbyte[] Quantized, float[] Scales) QuantizePerColumn(float[] matrix, int rows, int columns)
    {
        var scales = new float[columns];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                scales[c] = Math.Max(scales[c], Math.Abs(matrix[(long)r * columns + c]));
        for (int c = 0; c < columns; c++) scales[c] = scales[c] > 0 ? scales[c] / QuantMax : 1f;   // an all-zero column: any scale
        var quantized = new sbyte[matrix.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
            {
                long i = (long)r * columns + c;
                quantized[i] = (sbyte)Math.Clamp(MathF.Round(matrix[i] / scales[c], MidpointRounding.ToEven), -QuantMax, QuantMax);
            }
        return (quantized, scales);
    }

    /// <summary>x [.., in] · W [in, out] through int8; returns the float product [.., out] (no bias).</summary>
    internal static string MatMul(OnnxGraphBuilder g, string x, string prefix, float[] weightInOut, int inFeatures, int outFeatures)
    {
        var (quantized, scales) = QuantizePerColumn(weightInOut, inFeatures, outFeatures);
        var wq = g.Int8s(prefix + ".weight_quantized", quantized, inFeatures, outFeatures);
        var ws = g.Floats(prefix + ".weight_scale", scales, outFeatures);
        var wzp = g.Int8s(prefix + ".weight_zero_point", new sbyte[outFeatures], outFeatures);
        var xq = g.Fresh("x_quantized");
        var xs = g.Fresh("x_scale");
        var xzp = g.Fresh("x_zero_point");
        g.NodeMulti("DynamicQuantizeLinear", [x], [xq, xs, xzp]);
        var integers = g.Node("MatMulInteger", [xq, wq, xzp, wzp]);                      // int32
        var floats = g.Node("Cast", [integers], null, OnnxGraphBuilder.Int("to", (long)DataType.Float));
        var scale = g.Node("Mul", [xs, ws]);                                              // [out]
        return g.Node("Mul", [floats, scale]);
    }
}
