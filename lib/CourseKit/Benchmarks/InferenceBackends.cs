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
}

/// <summary>The kit's BertModel (eval mode) under inference mode, in float32 or bfloat16, eager or SDPA attention.</summary>
public sealed class TorchBackend : IInferenceBackend
{
    readonly BertModel _model;
    readonly ScalarType _dtype;

    public TorchBackend(string name, string modelDir, AttentionImplementation attention, ScalarType dtype = ScalarType.Float32)
    {
        Name = name;
        _dtype = dtype;
        var loaded = Pretrained.Load(modelDir, path => BertConfig.Load(path), c => new BertModel(c, addPoolingLayer: TaskHeads.HasPooler(SafeTensorsNames(modelDir))),
            c => { c.AttentionImplementation = attention; return c; });
        _model = loaded.Model;
        _model.eval();
        if (dtype != ScalarType.Float32) _model.to(dtype);
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
