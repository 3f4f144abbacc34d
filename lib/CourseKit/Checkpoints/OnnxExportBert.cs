using CourseKit.Models;
using TorchSharp;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace CourseKit.Checkpoints;

/// <summary>
/// Writes <see cref="BertModel"/>'s forward pass as ONNX nodes, op for op as the kit computes it (eval mode: dropout is
/// the identity), so ONNX Runtime and TorchSharp agree to float rounding. Weights keep Hugging Face's names without the
/// task models' "bert." prefix, as torch.onnx writes a BertModel; each nn.Linear weight is stored transposed ([in, out])
/// feeding a MatMul, then an Add of its named bias: exactly the layout <see cref="OnnxBertReader"/> reads back.
/// With <see cref="Int8"/>, each encoder Linear becomes ONNX Runtime's dynamic quantization pattern instead
/// (<see cref="OnnxInt8Linear"/>).
/// </summary>
internal sealed class OnnxBertWriter
{
    readonly OnnxGraphBuilder _g;
    readonly BertConfig _config;
    readonly IReadOnlyDictionary<string, Tensor> _weights;
    readonly HashSet<string> _written = new(StringComparer.Ordinal);

    public OnnxBertWriter(OnnxGraphBuilder graph, BertConfig config, IReadOnlyDictionary<string, Tensor> weights, bool int8)
    {
        if (config.HiddenAct != "gelu")
            throw new NotSupportedException($"hidden_act '{config.HiddenAct}' is not exported; only exact GELU (\"gelu\") is");
        _g = graph;
        _config = config;
        _weights = weights;
        Int8 = int8;
    }

    public bool Int8 { get; }
    public OnnxGraphBuilder Graph => _g;

    public bool Has(string name) => _weights.ContainsKey(name);

    /// <summary>The float32 values of weight <paramref name="name"/> (row-major) and its shape.</summary>
    public (float[] Values, long[] Shape) Values(string name)
    {
        if (!_weights.TryGetValue(name, out var t)) throw new InvalidDataException($"the model has no tensor '{name}'");
        using var f = t.to_type(ScalarType.Float32).contiguous();
        return (f.data<float>().ToArray(), t.shape);
    }

    /// <summary>A weight stored as it is (embedding tables, biases, LayerNorm), written once under its own name.</summary>
    public string Param(string name)
    {
        if (_written.Add(name))
        {
            var (values, shape) = Values(name);
            _g.Floats(name, values, shape);
        }
        return name;
    }

    /// <summary>x·Wᵀ + b for nn.Linear <paramref name="prefix"/> (weight [out, in], bias [out]); quantized when the
    /// writer is int8 and <paramref name="quantize"/> holds.</summary>
    public string Linear(string x, string prefix, bool quantize = true)
    {
        var (w, shape) = Values(prefix + ".weight");
        int outFeatures = checked((int)shape[0]), inFeatures = checked((int)shape[1]);
        var transposed = new float[w.Length];                                            // [in, out]: what MatMul multiplies by
        for (int o = 0; o < outFeatures; o++)
            for (int i = 0; i < inFeatures; i++)
                transposed[(long)i * outFeatures + o] = w[(long)o * inFeatures + i];
        string product = Int8 && quantize
            ? OnnxInt8Linear.MatMul(_g, x, prefix, transposed, inFeatures, outFeatures)
            : _g.Node("MatMul", [x, _g.Floats(prefix + ".weight", transposed, inFeatures, outFeatures)]);
        return _g.Node("Add", [product, Param(prefix + ".bias")]);
    }

    public string LayerNorm(string x, string prefix) =>
        _g.Node("LayerNormalization", [x, Param(prefix + ".weight"), Param(prefix + ".bias")], null,
            OnnxGraphBuilder.Int("axis", -1), OnnxGraphBuilder.Float("epsilon", (float)_config.LayerNormEps));

    /// <summary>The encoder on the three int64 inputs: last_hidden_state [B, T, H] and, when <paramref name="pooler"/>
    /// holds and the weights have a pooler, pooler_output [B, H] (else null).</summary>
    public (string Hidden, string? Pooled) Encoder(string inputIds, string attentionMask, string tokenTypeIds, bool pooler)
    {
        var x = Embeddings(inputIds, tokenTypeIds);
        var mask = AdditiveMask(attentionMask);
        for (int i = 0; i < _config.NumHiddenLayers; i++) x = Layer(x, mask, $"encoder.layer.{i}");
        if (!pooler || !Has("pooler.dense.weight")) return (x, null);
        var first = _g.Node("Gather", [x, _g.Int64s(_g.Fresh("zero"), [0])], null, OnnxGraphBuilder.Int("axis", 1));   // [B, H]: [CLS]
        return (x, _g.Node("Tanh", [Linear(first, "pooler.dense")]));
    }

    /// <summary>words + token types + positions 0..T-1, then LayerNorm (<see cref="BertEmbeddings"/>).</summary>
    string Embeddings(string inputIds, string tokenTypeIds)
    {
        var shape = _g.Node("Shape", [inputIds]);
        var length = _g.Node("Gather", [shape, _g.Int64s(_g.Fresh("one"), [1])]);                  // T, a 0-d int64
        var positions = _g.Node("Range", [_g.Int64s(_g.Fresh("zero"), [0]), length, _g.Int64s(_g.Fresh("one"), [1])]);
        var words = _g.Node("Gather", [Param("embeddings.word_embeddings.weight"), inputIds]);
        var types = _g.Node("Gather", [Param("embeddings.token_type_embeddings.weight"), tokenTypeIds]);
        var places = _g.Node("Gather", [Param("embeddings.position_embeddings.weight"), positions]); // [T, H], broadcast over B
        var sum = _g.Node("Add", [_g.Node("Add", [words, types]), places]);
        return LayerNorm(sum, "embeddings.LayerNorm");
    }

    /// <summary>[B, T] 1/0 → [B, 1, 1, T] of 0 / float32's most negative value (<see cref="BertModel.AdditiveMask"/>).</summary>
    string AdditiveMask(string attentionMask)
    {
        var m = _g.Node("Cast", [attentionMask], null, OnnxGraphBuilder.Int("to", (long)DataType.Float));
        var padding = _g.Node("Sub", [_g.Scalar(1f, "one"), m]);
        var additive = _g.Node("Mul", [padding, _g.Scalar(float.MinValue, "float_min")]);
        return _g.Node("Unsqueeze", [additive, _g.Longs(1, 2)]);
    }

    /// <summary>One post-LN block (<see cref="BertLayer"/>): attention, Add &amp; Norm, GELU feed-forward, Add &amp; Norm.</summary>
    string Layer(string x, string mask, string p)
    {
        int heads = _config.NumAttentionHeads, headDim = _config.HeadDim;
        var split = _g.Longs(0, 0, heads, headDim);                                         // [B, T, nh, hd]; 0 = keep that dim
        string Heads(string t, params long[] perm) =>
            _g.Node("Transpose", [_g.Node("Reshape", [t, split])], null, OnnxGraphBuilder.Ints("perm", perm));
        var q = Heads(Linear(x, p + ".attention.self.query"), 0, 2, 1, 3);                  // [B, nh, T, hd]
        var kT = Heads(Linear(x, p + ".attention.self.key"), 0, 2, 3, 1);                   // [B, nh, hd, T]
        var v = Heads(Linear(x, p + ".attention.self.value"), 0, 2, 1, 3);
        var scores = _g.Node("Div", [_g.Node("MatMul", [q, kT]), _g.Scalar((float)Math.Sqrt(headDim), "sqrt_head_dim")]);
        var weights = _g.Node("Softmax", [_g.Node("Add", [scores, mask])], null, OnnxGraphBuilder.Int("axis", -1));
        var context = _g.Node("Transpose", [_g.Node("MatMul", [weights, v])], null, OnnxGraphBuilder.Ints("perm", 0, 2, 1, 3));
        context = _g.Node("Reshape", [context, _g.Longs(0, 0, _config.HiddenSize)]);      // [B, T, H]: heads side by side
        var attended = LayerNorm(_g.Node("Add", [Linear(context, p + ".attention.output.dense"), x]), p + ".attention.output.LayerNorm");
        var inner = Gelu(Linear(attended, p + ".intermediate.dense"));
        return LayerNorm(_g.Node("Add", [Linear(inner, p + ".output.dense"), attended]), p + ".output.LayerNorm");
    }

    /// <summary>Exact GELU, x · ½ (1 + erf(x / √2)), as torch.onnx writes it before opset 20's Gelu.</summary>
    string Gelu(string x)
    {
        var erf = _g.Node("Erf", [_g.Node("Div", [x, _g.Scalar((float)Math.Sqrt(2), "sqrt2")])]);
        var gate = _g.Node("Add", [erf, _g.Scalar(1f, "one")]);
        return _g.Node("Mul", [_g.Node("Mul", [x, gate]), _g.Scalar(0.5f, "half")]);
    }
}
