using Google.Protobuf;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace CourseKit.Checkpoints;

/// <summary>
/// Writes an ONNX graph node by node: initializers (raw little-endian bytes, as torch.onnx stores them), nodes with
/// generated value names, inputs and outputs with symbolic ("batch", "sequence") or fixed dimensions. The writer of
/// <see cref="OnnxExport"/>; the reader is <see cref="OnnxGraphIndex"/>.
/// </summary>
public sealed class OnnxGraphBuilder
{
    /// <summary>ONNX opset 17: the first with LayerNormalization, which keeps the graph short and is what ORT fuses.</summary>
    public const int Opset = 17;
    /// <summary>IR version 8 goes with opset 17 (onnx's versioning table).</summary>
    const long IrVersion = 8;

    readonly GraphProto _graph = new() { Name = "coursekit" };
    readonly HashSet<string> _initializerNames = new(StringComparer.Ordinal);
    int _counter;

    public GraphProto Graph => _graph;

    /// <summary>A fresh value name: "<paramref name="hint"/>_N" (N counts every name handed out, so names never collide).</summary>
    public string Fresh(string hint) => $"{hint}_{_counter++}";

    public string Floats(string name, float[] values, params long[] dims) => Raw(name, DataType.Float, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()), dims);
    public string Int64s(string name, long[] values, params long[] dims) => Raw(name, DataType.Int64, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()), dims);
    public string Int8s(string name, sbyte[] values, params long[] dims) => Raw(name, DataType.Int8, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()), dims);

    /// <summary>A float scalar constant (0-d, so the importer never mistakes it for a weight).</summary>
    public string Scalar(float value, string hint = "const") => Floats(Fresh(hint), [value]);
    /// <summary>A 1-d int64 constant (axes, shapes).</summary>
    public string Longs(params long[] values) => Int64s(Fresh("ints"), values, values.Length);

    string Raw(string name, DataType type, ReadOnlySpan<byte> bytes, long[] dims)
    {
        if (!_initializerNames.Add(name)) throw new InvalidOperationException($"initializer '{name}' written twice");
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        t.Dims.AddRange(dims);
        _graph.Initializer.Add(t);
        return name;
    }

    /// <summary>Adds a node and returns its first output's name (fresh unless <paramref name="output"/> is given).</summary>
    public string Node(string op, string[] inputs, string? output = null, params AttributeProto[] attributes) =>
        NodeMulti(op, inputs, [output ?? Fresh(op.ToLowerInvariant())], attributes)[0];

    public string[] NodeMulti(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes) =>
        NodeIn("", op, inputs, outputs, attributes);

    /// <summary>A node of operator domain <paramref name="domain"/> ("" = ai.onnx).</summary>
    public string[] NodeIn(string domain, string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = Fresh(op), Domain = domain };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return outputs;
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };
    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };
    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    /// <summary>A graph input or output; a string dimension is symbolic (dynamic), a long is fixed.</summary>
    public static ValueInfoProto Value(string name, DataType type, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d switch
            {
                string p => new TensorShapeProto.Types.Dimension { DimParam = p },
                long v => new TensorShapeProto.Types.Dimension { DimValue = v },
                int v => new TensorShapeProto.Types.Dimension { DimValue = v },
                _ => throw new ArgumentException($"dimension {d} is neither a name nor a number"),
            });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }

    public void Input(ValueInfoProto value) => _graph.Input.Add(value);
    public void Output(ValueInfoProto value) => _graph.Output.Add(value);

    /// <summary>The finished model: opset <see cref="Opset"/> (plus com.microsoft when <paramref name="microsoftDomain"/>),
    /// with <paramref name="metadata"/> as metadata_props.</summary>
    public ModelProto Build(IReadOnlyDictionary<string, string> metadata, bool microsoftDomain = false)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "CourseKit",
            ProducerVersion = typeof(OnnxGraphBuilder).Assembly.GetName().Version?.ToString() ?? "",
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        if (microsoftDomain) model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        foreach (var (k, v) in metadata) model.MetadataProps.Add(new StringStringEntryProto { Key = k, Value = v });
        return model;
    }
}
