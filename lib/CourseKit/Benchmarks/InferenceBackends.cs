using CourseKit.Checkpoints;
using CourseKit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Benchmarks;

/// <summary>One way of running the encoder on a [B, T] batch: the same weights and inputs for every backend.</summary>
public interface IInferenceBackend : IDisposable
{
    string Name { get; }
    /// <summary>Runs the encoder; returns last_hidden_state [B·T·H] as float32 when <paramref name="keepOutput"/>, else null
    /// (timed calls do not copy the output out).</summary>
    float[]? Run(long[] inputIds, long[] attentionMask, int batch, int length, bool keepOutput);

    /// <summary>False for a breakdown row that times part of the encoder and has no last_hidden_state to compare.</summary>
    bool ComputesOutput => true;
}

/// <summary>The kit's BertModel (eval mode) without gradients, in float32 or bfloat16, eager or SDPA attention, its
/// Linears optionally run on oneDNN weights packed once (<see cref="PackedLinears"/>).</summary>
public sealed class TorchBackend : IInferenceBackend
{
    readonly BertModel _model;
    readonly ScalarType _dtype;
    readonly PackedLinears? _packed;

    public TorchBackend(string name, string modelDir, AttentionImplementation attention, ScalarType dtype = ScalarType.Float32, bool packLinears = false)
    {
        Name = name;
        _dtype = dtype;
        _model = LoadEncoder(modelDir, attention);
        if (dtype != ScalarType.Float32) _model.to(dtype);
        if (packLinears) _packed = PackedLinears.Pack(_model);
    }

    /// <summary>The folder's BertModel (with its pooler when the checkpoint has one) in eval mode.</summary>
    public static BertModel LoadEncoder(string modelDir, AttentionImplementation attention)
    {
        var loaded = Pretrained.Load(modelDir, path => BertConfig.Load(path), c => new BertModel(c, addPoolingLayer: TaskHeads.HasPooler(SafeTensorsNames(modelDir))),
            c => { c.AttentionImplementation = attention; return c; });
        loaded.Model.eval();
        return loaded.Model;
    }

    public string Name { get; }

    static IEnumerable<string> SafeTensorsNames(string dir)
    {
        using var file = SafeTensorsFile.Open(Path.Combine(dir, Pretrained.WeightsFile));
        return file.Names.ToList();
    }

    public float[]? Run(long[] inputIds, long[] attentionMask, int batch, int length, bool keepOutput)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();   // not inference_mode: its tensors cannot be updated in place afterwards, anywhere
        var ids = torch.tensor(inputIds, [batch, length]);
        var mask = torch.tensor(attentionMask, [batch, length]);
        var output = _model.forward(ids, mask, null);
        if (!keepOutput) return null;
        return output.LastHiddenState.to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
    }

    public void Dispose()
    {
        _packed?.Dispose();
        _model.Dispose();
    }
}

/// <summary>A breakdown row, not a way to run the model: the float32 encoder's Linear calls alone (Q, K, V, attention
/// output, FFN up and down in every layer, then the pooler), in model order, each on an input of the shape it sees in
/// the real forward. Its time ÷ torch-fp32's is the share of the forward spent in matrix products, with the weights as
/// cold or warm in the caches as they are in a full pass (MiniLM's 42.5 MB of encoder weights do not fit a 32 MB L3).</summary>
public sealed class TorchLinearsBackend : IInferenceBackend
{
    readonly BertModel _model;
    readonly List<TorchSharp.Modules.Linear> _linears;

    public TorchLinearsBackend(string name, string modelDir)
    {
        Name = name;
        _model = TorchBackend.LoadEncoder(modelDir, AttentionImplementation.Eager);
        _linears = _model.encoder.layer.SelectMany(l => new[] { l.attention.self_attention.query, l.attention.self_attention.key,
            l.attention.self_attention.value, l.attention.output.dense, l.intermediate.dense, l.output.dense }).ToList();
        if (_model.pooler is { } pooler) _linears.Add(pooler.dense);
    }

    public string Name { get; }
    public bool ComputesOutput => false;
    /// <summary>The Linear modules run, in order (the pooler last when there is one).</summary>
    public IReadOnlyList<TorchSharp.Modules.Linear> Linears => _linears;

    public float[]? Run(long[] inputIds, long[] attentionMask, int batch, int length, bool keepOutput)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var inputs = new Dictionary<(long Rows, long Features), Tensor>();                 // one input per shape
        Tensor Input(TorchSharp.Modules.Linear linear, long rows) =>
            inputs.TryGetValue((rows, linear.in_features), out var x) ? x : inputs[(rows, linear.in_features)] = zeros(rows, linear.in_features);
        for (int i = 0; i < _linears.Count; i++)
        {
            var pooled = _model.pooler is not null && i == _linears.Count - 1;              // the pooler reads one row per sequence
            _linears[i].call(Input(_linears[i], pooled ? batch : (long)batch * length));
        }
        return null;
    }

    public void Dispose() => _model.Dispose();
}

/// <summary>ONNX Runtime on an exported graph (<see cref="OnnxExport"/>'s encoder head).</summary>
public sealed class OnnxBackend(string name, string onnxPath, int threads) : IInferenceBackend
{
    readonly OnnxBertSession _session = new(onnxPath, threads);

    public string Name { get; } = name;

    public float[]? Run(long[] inputIds, long[] attentionMask, int batch, int length, bool keepOutput)
    {
        var outputs = _session.Run(inputIds, attentionMask, null, batch, length);
        return keepOutput ? outputs["last_hidden_state"].Values : null;
    }

    public void Dispose() => _session.Dispose();
}

/// <summary>A model already in memory (a fine-tuned classifier, a distilled student), run through
/// <paramref name="forward"/>(input ids, attention mask) → any float output; the caller keeps ownership of the model.</summary>
public sealed class ModuleBackend(string name, Func<Tensor, Tensor, Tensor> forward) : IInferenceBackend
{
    public string Name { get; } = name;

    public float[]? Run(long[] inputIds, long[] attentionMask, int batch, int length, bool keepOutput)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();   // not inference_mode: its tensors cannot be updated in place afterwards, anywhere
        var output = forward(torch.tensor(inputIds, [batch, length]), torch.tensor(attentionMask, [batch, length]));
        var result = output.to_type(ScalarType.Float32).contiguous();
        return keepOutput ? result.data<float>().ToArray() : null;   // the copy out also waits for the result
    }

    public void Dispose() { }
}
