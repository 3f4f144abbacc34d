using CourseKit.Checkpoints;
using Onnx;
using static CourseKit.Tests.Checkpoints.OnnxExportFixture;

namespace CourseKit.Tests.Checkpoints;

/// <summary>The int8 exports: per-channel int8 weights in ONNX Runtime's dynamic-quantization pattern, fused by ORT
/// into its integer kernel, within a stated tolerance of the float32 graph on the tiny model.</summary>
[Collection(Models.TorchGlobalRngCollection.Name)]
[KeepTensorsAlive]
public sealed class OnnxExportInt8Tests(OnnxExportFixture fixture) : IClassFixture<OnnxExportFixture>
{
    /// <summary>Largest |int8 − fp32| allowed, relative to the largest |fp32| output: 8-bit weights and activations
    /// give about 1 % per matrix product, compounded over the tiny model's 2 layers (measured: see the test output).</summary>
    const double RelativeTolerance = 0.05;

    [Fact]
    public void Per_channel_quantization_reconstructs_each_column_within_half_a_step()
    {
        var rng = new Random(3);
        const int rows = 7, columns = 5;
        var w = Enumerable.Range(0, rows * columns).Select(i => (float)(rng.NextDouble() - 0.5) * (1 + i % columns)).ToArray();
        var (q, scales) = OnnxInt8Linear.QuantizePerColumn(w, rows, columns);
        for (int c = 0; c < columns; c++)
        {
            float max = Enumerable.Range(0, rows).Max(r => Math.Abs(w[r * columns + c]));
            Assert.Equal(max / OnnxInt8Linear.QuantMax, scales[c], 6);
            for (int r = 0; r < rows; r++)
                Assert.InRange(Math.Abs(q[r * columns + c] * scales[c] - w[r * columns + c]), 0, scales[c] / 2 + 1e-7);
        }
        Assert.Contains(q, v => v == OnnxInt8Linear.QuantMax || v == -OnnxInt8Linear.QuantMax);
    }

    [Fact]
    public void The_int8_graph_stores_int8_weights_and_onnx_runtime_fuses_them_into_its_integer_kernel()
    {
        var path = fixture.Int8Exports["encoder"].Path;
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        int linears = 2 * 6 + 1;                                                          // 6 per layer + the pooler
        Assert.Equal(linears, model.Graph.Node.Count(n => n.OpType == "MatMulInteger"));
        Assert.Equal(linears, model.Graph.Initializer.Count(i => i.DataType == (int)TensorProto.Types.DataType.Int8 && i.Name.EndsWith(".weight_quantized")));
        Assert.DoesNotContain(model.Graph.Initializer, i => i.Name.EndsWith("query.weight"));

        var optimized = Path.Combine(fixture.Root, "encoder.int8.optimized.onnx");
        using (var options = new Microsoft.ML.OnnxRuntime.SessionOptions { OptimizedModelFilePath = optimized })
        using (new Microsoft.ML.OnnxRuntime.InferenceSession(path, options)) { }
        var ops = ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimized)).Graph.Node.Select(n => n.OpType).ToList();
        Console.WriteLine($"ONNX Runtime's optimized int8 graph: {string.Join(", ", ops.GroupBy(o => o).Select(g => $"{g.Key} ×{g.Count()}"))}");
        Assert.Equal(linears, ops.Count(o => o is "DynamicQuantizeMatMul" or "MatMulIntegerToFloat"));
        Assert.DoesNotContain("MatMulInteger", ops);
    }

    [Theory]
    [InlineData("encoder", "last_hidden_state")]
    [InlineData("sequence-classification", "logits")]
    [InlineData("token-classification", "logits")]
    [InlineData("question-answering", "start_logits")]
    [InlineData("embedding", "sentence_embedding")]
    public void Each_int8_head_stays_within_the_tolerance_of_float32(string head, string output)
    {
        var (ids, mask, types, b, t) = PaddedBatch();
        using var fp32 = new OnnxBertSession(fixture.Exports[head].Path, threads: 1);
        using var int8 = new OnnxBertSession(fixture.Int8Exports[head].Path, threads: 1);
        var exact = fp32.Run(ids, mask, types, b, t)[output];
        var quantized = int8.Run(ids, mask, types, b, t)[output];
        Assert.Equal(exact.Shape, quantized.Shape);
        double scale = exact.Values.Max(v => Math.Abs(v));
        double diff = PackagedEncoders.MaxAbsDiff(exact.Values, quantized.Values);
        Console.WriteLine($"int8 vs fp32 {head}/{output}: max |diff| {diff:G3} = {diff / scale:P2} of max |fp32| {scale:G3}");
        Assert.InRange(diff / scale, 1e-6, RelativeTolerance);                           // not identical: the weights did change
        Assert.True(fixture.Int8Exports[head].Bytes < fixture.Exports[head].Bytes);
    }
}
