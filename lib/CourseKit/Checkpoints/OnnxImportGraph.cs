using Google.Protobuf;
using Onnx;

namespace CourseKit.Checkpoints;

/// <summary>
/// An ONNX graph indexed for following tensors by name: who produces a value, who consumes it, which values are
/// initializers or outputs of Constant nodes. Reads numbers out of TensorProto (raw_data or the typed fields).
/// Every failure is an <see cref="InvalidDataException"/> that names the source file and the node or initializer.
/// </summary>
public sealed class OnnxGraphIndex
{
    readonly Dictionary<string, TensorProto> _initializers = new(StringComparer.Ordinal);
    readonly Dictionary<string, NodeProto> _producers = new(StringComparer.Ordinal);
    readonly Dictionary<string, List<NodeProto>> _consumers = new(StringComparer.Ordinal);

    public OnnxGraphIndex(ModelProto model, string source)
    {
        Source = source;
        Model = model;
        var graph = model.Graph ?? throw new InvalidDataException($"{source}: the ONNX model has no graph");
        foreach (var init in graph.Initializer)
            if (!_initializers.TryAdd(init.Name, init))
                throw new InvalidDataException($"{source}: initializer '{init.Name}' is defined twice");
        foreach (var node in graph.Node)
        {
            foreach (var output in node.Output) _producers[output] = node;
            foreach (var input in node.Input)
            {
                if (input.Length == 0) continue; // an omitted optional input
                if (!_consumers.TryGetValue(input, out var list)) _consumers[input] = list = [];
                list.Add(node);
            }
        }
    }

    public string Source { get; }
    public ModelProto Model { get; }
    public IEnumerable<TensorProto> Initializers => Model.Graph.Initializer;

    /// <summary>Parses a serialized ModelProto; a truncated or corrupted file is refused naming <paramref name="source"/>.</summary>
    public static ModelProto ParseModel(byte[] bytes, string source)
    {
        ModelProto model;
        try { model = ModelProto.Parser.ParseFrom(bytes); }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{source}: not a complete ONNX model ({e.Message})", e);
        }
        if (model.Graph is null || model.Graph.Node.Count == 0)
            throw new InvalidDataException($"{source}: not an ONNX model (no graph nodes; is the file truncated?)");
        return model;
    }

    public TensorProto? Initializer(string name) => _initializers.GetValueOrDefault(name);
    public NodeProto? Producer(string value) => _producers.GetValueOrDefault(value);
    public IReadOnlyList<NodeProto> Consumers(string value) => _consumers.TryGetValue(value, out var l) ? l : [];

    public static string Describe(NodeProto node) => $"{node.OpType} node '{(node.Name.Length > 0 ? node.Name : node.Output.FirstOrDefault())}'";

    /// <summary>The single consumer of <paramref name="value"/> with op type <paramref name="opType"/>, or null.</summary>
    public NodeProto? OnlyConsumer(string value, string opType)
    {
        var nodes = Consumers(value).Where(n => n.OpType == opType).ToList();
        return nodes.Count == 1 ? nodes[0] : null;
    }

    /// <summary>The constant values of <paramref name="value"/>: an initializer or a Constant node's output; null otherwise.</summary>
    public TensorProto? ConstantTensor(string value)
    {
        if (Initializer(value) is { } init) return init;
        if (Producer(value) is not { OpType: "Constant" } node) return null;
        foreach (var a in node.Attribute)
            switch (a.Name)
            {
                case "value" when a.T is not null: return a.T;
                case "value_float": return new TensorProto { DataType = (int)TensorProto.Types.DataType.Float, FloatData = { a.F } };
                case "value_int": return new TensorProto { DataType = (int)TensorProto.Types.DataType.Int64, Int64Data = { a.I } };
                case "value_ints":
                    var t = new TensorProto { DataType = (int)TensorProto.Types.DataType.Int64, Dims = { a.Ints.Count } };
                    t.Int64Data.AddRange(a.Ints);
                    return t;
            }
        return null;
    }

    public static long ElementCount(TensorProto t) => t.Dims.Aggregate(1L, (n, d) => n * d);

    /// <summary>The float32 contents of <paramref name="t"/>, checked against its shape.</summary>
    public float[] Floats(TensorProto t)
    {
        var name = TensorName(t);
        if (t.DataLocation == TensorProto.Types.DataLocation.External)
            throw new InvalidDataException($"{Source}: initializer {name} is stored in an external data file, which is not read");
        if (t.DataType != (int)TensorProto.Types.DataType.Float)
            throw new InvalidDataException($"{Source}: initializer {name} has ONNX element type {(TensorProto.Types.DataType)t.DataType}, expected FLOAT");
        long count = ElementCount(t);
        float[] values;
        if (!t.RawData.IsEmpty)
        {
            if (t.RawData.Length != count * sizeof(float))
                throw new InvalidDataException($"{Source}: initializer {name} holds {t.RawData.Length} bytes for shape [{string.Join(", ", t.Dims)}] ({count * sizeof(float)} expected)");
            values = new float[count];
            t.RawData.Span.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan())); // little-endian, as ONNX stores it
        }
        else values = t.FloatData.ToArray();
        if (values.LongLength != count)
            throw new InvalidDataException($"{Source}: initializer {name} holds {values.LongLength} values for shape [{string.Join(", ", t.Dims)}] ({count} expected)");
        return values;
    }

    /// <summary>Integer or float constant values as doubles (shape constants, epsilons).</summary>
    public double[] Numbers(TensorProto t)
    {
        var type = (TensorProto.Types.DataType)t.DataType;
        var raw = t.RawData.Span;
        return type switch
        {
            TensorProto.Types.DataType.Float => Floats(t).Select(v => (double)v).ToArray(),
            TensorProto.Types.DataType.Double => raw.IsEmpty ? t.DoubleData.ToArray() : System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(raw).ToArray(),
            TensorProto.Types.DataType.Int64 => raw.IsEmpty ? t.Int64Data.Select(v => (double)v).ToArray() : System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(raw).ToArray().Select(v => (double)v).ToArray(),
            TensorProto.Types.DataType.Int32 => raw.IsEmpty ? t.Int32Data.Select(v => (double)v).ToArray() : System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(raw).ToArray().Select(v => (double)v).ToArray(),
            _ => throw new InvalidDataException($"{Source}: constant {TensorName(t)} has ONNX element type {type}, not a number type read here"),
        };
    }

    static string TensorName(TensorProto t) => t.Name.Length > 0 ? $"'{t.Name}'" : "(unnamed constant)";
}
