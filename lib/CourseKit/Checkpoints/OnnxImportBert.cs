using System.Globalization;
using System.Text.RegularExpressions;
using CourseKit.Models;
using Onnx;

namespace CourseKit.Checkpoints;

/// <summary>One weight recovered from the graph, in Hugging Face's name and layout (row-major <see cref="Shape"/>).</summary>
public sealed record OnnxWeight(string Name, long[] Shape, float[] Values);

/// <summary>
/// Recovers a Hugging Face BertModel (names, layout, config) from a PyTorch ONNX export of it. torch.onnx keeps the
/// parameter names of embeddings, LayerNorms, biases and the pooler, but each nn.Linear weight becomes an unnamed
/// initializer, transposed to [in, out], feeding a MatMul whose output goes into an Add with the named bias: so the
/// weight's name is the bias's with ".bias" replaced by ".weight", and it is transposed back to [out, in]. The number
/// of heads is read from the Reshape that splits the query into heads, the LayerNorm epsilon from its Add, the
/// rest from tensor shapes. Anything else is refused, naming the node or initializer, rather than guessed.
/// </summary>
public static partial class OnnxBertReader
{
    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*\.(weight|bias)$")]
    private static partial Regex ParameterName();

    [GeneratedRegex(@"^encoder\.layer\.(\d+)\.")]
    private static partial Regex LayerIndex();

    /// <summary>The weights by Hugging Face name and the config they imply.</summary>
    public static (BertConfig Config, IReadOnlyList<OnnxWeight> Weights) Read(OnnxGraphIndex graph)
    {
        var weights = new Dictionary<string, OnnxWeight>(StringComparer.Ordinal);
        foreach (var init in graph.Initializers)
        {
            if (init.DataType != (int)TensorProto.Types.DataType.Float) continue;   // position_ids, shape constants
            bool named = ParameterName().IsMatch(init.Name);
            if (!named && init.Dims.Count < 2) continue;                             // scalar constants (scales, epsilons)
            var weight = named ? NamedWeight(graph, init) : PlaceUnnamed(graph, init);
            if (!weights.TryAdd(weight.Name, weight))
                throw new InvalidDataException($"{graph.Source}: two initializers map to '{weight.Name}' (the second is '{init.Name}')");
        }
        var config = DeriveConfig(graph, weights);
        return (config, weights.Values.ToList());
    }

    /// <summary>A named parameter, kept as stored except a 2-D weight that a MatMul (or a Gemm without transB) reads as [in, out].</summary>
    static OnnxWeight NamedWeight(OnnxGraphIndex graph, TensorProto init)
    {
        var shape = init.Dims.ToArray();
        var values = graph.Floats(init);
        if (shape.Length != 2) return new OnnxWeight(init.Name, shape, values);
        var uses = graph.Consumers(init.Name);
        if (uses.Count == 0) return new OnnxWeight(init.Name, shape, values);     // unused (e.g. a dropped head): kept as is
        var use = uses[0];
        bool transposed = use.OpType switch
        {
            "Gather" when use.Input[0] == init.Name => false,                     // embedding table [vocab, hidden]
            "Gemm" when use.Input.Count > 1 && use.Input[1] == init.Name => !use.Attribute.Any(a => a.Name == "transB" && a.I == 1),
            "MatMul" when use.Input.Count > 1 && use.Input[1] == init.Name => true,
            _ => throw new InvalidDataException($"{graph.Source}: initializer '{init.Name}' feeds {OnnxGraphIndex.Describe(use)}, an operation not understood on a weight path"),
        };
        return transposed ? Transpose(init.Name, shape, values) : new OnnxWeight(init.Name, shape, values);
    }

    /// <summary>An unnamed [in, out] projection: MatMul(x, W) → Add(·, named bias) gives the name; stored back as [out, in].</summary>
    static OnnxWeight PlaceUnnamed(OnnxGraphIndex graph, TensorProto init)
    {
        var where = $"{graph.Source}: unnamed weight initializer '{init.Name}' [{string.Join(", ", init.Dims)}]";
        var uses = graph.Consumers(init.Name);
        if (uses.Count != 1)
            throw new InvalidDataException($"{where} has {uses.Count} consumers; expected exactly one MatMul");
        var matmul = uses[0];
        if (matmul.OpType != "MatMul" || matmul.Input.Count != 2 || matmul.Input[1] != init.Name)
            throw new InvalidDataException($"{where} feeds {OnnxGraphIndex.Describe(matmul)}, an operation not understood on a weight path (expected MatMul)");
        var adds = graph.Consumers(matmul.Output[0]);
        if (adds.Count != 1 || adds[0].OpType != "Add")
            throw new InvalidDataException($"{where}: its {OnnxGraphIndex.Describe(matmul)} is not followed by a single Add with a named bias, so the weight cannot be placed");
        var add = adds[0];
        var biasName = add.Input.FirstOrDefault(i => i != matmul.Output[0]) ?? "";
        var bias = graph.Initializer(biasName);
        if (bias is null || !biasName.EndsWith(".bias", StringComparison.Ordinal) || !ParameterName().IsMatch(biasName))
            throw new InvalidDataException($"{where}: {OnnxGraphIndex.Describe(add)} adds '{biasName}', not a named bias initializer, so the weight cannot be placed");
        if (bias.Dims.Count != 1 || bias.Dims[0] != init.Dims[^1])
            throw new InvalidDataException($"{where}: bias '{biasName}' has shape [{string.Join(", ", bias.Dims)}], not [{init.Dims[^1]}]");
        var name = biasName[..^".bias".Length] + ".weight";
        return Transpose(name, init.Dims.ToArray(), graph.Floats(init));
    }

    static OnnxWeight Transpose(string name, long[] shape, float[] values)
    {
        int rows = checked((int)shape[0]), cols = checked((int)shape[1]);
        var result = new float[values.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                result[(long)c * rows + r] = values[(long)r * cols + c];
        return new OnnxWeight(name, [cols, rows], result);
    }

    static BertConfig DeriveConfig(OnnxGraphIndex graph, Dictionary<string, OnnxWeight> weights)
    {
        OnnxWeight Need(string name) => weights.TryGetValue(name, out var w) ? w
            : throw new InvalidDataException($"{graph.Source}: the graph has no tensor '{name}' (a BERT export names it)");
        var words = Need("embeddings.word_embeddings.weight");
        var positions = Need("embeddings.position_embeddings.weight");
        var types = Need("embeddings.token_type_embeddings.weight");
        var layers = weights.Keys.Select(k => LayerIndex().Match(k)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Distinct().Count();
        if (layers == 0) throw new InvalidDataException($"{graph.Source}: the graph has no encoder.layer.* tensors");
        var intermediate = Need("encoder.layer.0.intermediate.dense.weight");
        int hidden = checked((int)words.Shape[1]);
        var config = new BertConfig
        {
            Architectures = ["BertModel"],
            VocabSize = checked((int)words.Shape[0]),
            HiddenSize = hidden,
            NumHiddenLayers = layers,
            NumAttentionHeads = HeadCount(graph, hidden),
            IntermediateSize = checked((int)intermediate.Shape[0]),
            HiddenAct = Activation(graph),
            MaxPositionEmbeddings = checked((int)positions.Shape[0]),
            TypeVocabSize = checked((int)types.Shape[0]),
            LayerNormEps = LayerNormEpsilon(graph),
        };
        try { config.Validate(); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{graph.Source}: the graph implies an invalid BERT config: {e.Message}", e); }
        return config;
    }

    /// <summary>Heads from the Reshape of layer 0's query to [batch, seq, heads, head_dim]: its target shape is a
    /// constant, or a Concat whose third part is one.</summary>
    static int HeadCount(OnnxGraphIndex graph, int hidden)
    {
        const string bias = "encoder.layer.0.attention.self.query.bias";
        var add = graph.OnlyConsumer(bias, "Add")
            ?? throw new InvalidDataException($"{graph.Source}: '{bias}' does not feed a single Add, so the heads cannot be read");
        var reshape = graph.OnlyConsumer(add.Output[0], "Reshape")
            ?? throw new InvalidDataException($"{graph.Source}: the query projection ({OnnxGraphIndex.Describe(add)}) is not split into heads by a Reshape");
        double? heads = null, headDim = null;
        if (graph.ConstantTensor(reshape.Input[1]) is { } shape && graph.Numbers(shape) is { Length: 4 } dims)
            (heads, headDim) = (dims[2], dims[3]);
        else if (graph.Producer(reshape.Input[1]) is { OpType: "Concat" } concat && concat.Input.Count == 4)
            (heads, headDim) = (Scalar(graph, concat.Input[2]), Scalar(graph, concat.Input[3]));
        // torch exports write heads explicitly; a -1 there means "infer from head_dim", which must then be given.
        bool readable = heads > 0 || heads == -1 && headDim > 0;
        if (!readable)
            throw new InvalidDataException($"{graph.Source}: the target shape of {OnnxGraphIndex.Describe(reshape)} is not a constant [batch, seq, heads, head_dim]");
        int count = heads > 0 ? (int)heads!.Value : hidden / (int)headDim!.Value;
        if (count <= 0 || hidden % count != 0)
            throw new InvalidDataException($"{graph.Source}: {OnnxGraphIndex.Describe(reshape)} splits hidden size {hidden} into {count} heads");
        return count;
    }

    static double? Scalar(OnnxGraphIndex graph, string value) =>
        graph.ConstantTensor(value) is { } t && graph.Numbers(t) is { Length: 1 } v ? v[0] : null;

    /// <summary>Exact GELU (x/√2 → Erf, or a Gelu op) after layer 0's intermediate projection; anything else is refused.</summary>
    static string Activation(OnnxGraphIndex graph)
    {
        const string bias = "encoder.layer.0.intermediate.dense.bias";
        var add = graph.OnlyConsumer(bias, "Add")
            ?? throw new InvalidDataException($"{graph.Source}: '{bias}' does not feed a single Add, so the activation cannot be read");
        foreach (var next in graph.Consumers(add.Output[0]))
        {
            if (next.OpType == "Gelu" && !next.Attribute.Any(a => a.Name == "approximate" && a.S.ToStringUtf8() == "tanh")) return "gelu";
            if (next.OpType == "Div" && graph.Consumers(next.Output[0]).Any(n => n.OpType == "Erf")) return "gelu";
        }
        throw new InvalidDataException($"{graph.Source}: the activation after {OnnxGraphIndex.Describe(add)} is not exact GELU (Erf), the only one read here");
    }

    /// <summary>The epsilon of the embeddings' LayerNorm: a LayerNormalization's attribute, or the constant added to the
    /// variance in the decomposed form (… / Sqrt(ReduceMean(d²) + eps) · weight).</summary>
    static double LayerNormEpsilon(OnnxGraphIndex graph)
    {
        const string weight = "embeddings.LayerNorm.weight";
        var use = graph.Consumers(weight).FirstOrDefault()
            ?? throw new InvalidDataException($"{graph.Source}: '{weight}' is not used by the graph");
        if (use.OpType == "LayerNormalization")
            return use.Attribute.FirstOrDefault(a => a.Name == "epsilon") is { } eps ? RoundFloat(eps.F) : 1e-5;
        var div = use.OpType == "Mul" ? graph.Producer(use.Input.First(i => i != weight)) : null;
        var sqrt = div is { OpType: "Div", Input.Count: 2 } ? graph.Producer(div.Input[1]) : null;
        var add = sqrt is { OpType: "Sqrt" } ? graph.Producer(sqrt.Input[0]) : null;
        if (add is { OpType: "Add" })
            foreach (var input in add.Input)
                if (Scalar(graph, input) is { } value) return RoundFloat((float)value);
        throw new InvalidDataException($"{graph.Source}: the LayerNorm around {OnnxGraphIndex.Describe(use)} is not one read here (no epsilon found)");
    }

    /// <summary>A float32 constant as the decimal it was written as (1e-12, not 9.9999999600419720e-13).</summary>
    static double RoundFloat(float value) => double.Parse(value.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
