namespace CourseKit.Serving;

/// <summary>
/// A model behind the service. <see cref="Run"/> is only ever called from the one inference thread the
/// <see cref="MicroBatcher"/> owns, so an implementation needs no locking and TorchSharp sees one thread allocate
/// tensors; it returns one result per input, in order.
/// </summary>
public interface IServingBackend : IDisposable
{
    ServingTask Task { get; }
    /// <summary>One line for /health and the start-up message: backend, model, labels or dimension.</summary>
    string Description { get; }
    IReadOnlyList<object> Run(IReadOnlyList<ServingInput> inputs);
}

/// <summary>A class and its probability, with every class's probability.</summary>
public sealed record ClassifyResult(string Label, double Score, IReadOnlyDictionary<string, double> Scores)
{
    /// <summary>The most probable label of <paramref name="probabilities"/> (one per label, in label order), with all of them.</summary>
    public static ClassifyResult From(IReadOnlyList<string> labels, IReadOnlyList<float> probabilities)
    {
        int best = Enumerable.Range(0, probabilities.Count).MaxBy(i => probabilities[i]);
        return new ClassifyResult(labels[best], probabilities[best], labels.Select((l, i) => (l, (double)probabilities[i])).ToDictionary(x => x.l, x => x.Item2));
    }
}

/// <summary>An entity: its type, the text it covers and its character offsets in the input ([Start, End)), and the
/// mean probability of its words' tags.</summary>
public sealed record NerEntity(string Entity, string Text, int Start, int End, double Score);

public sealed record NerResult(IReadOnlyList<NerEntity> Entities);

/// <summary>The answer span in the context ([Start, End) character offsets) and its score (start + end logit).</summary>
public sealed record QaResult(string Answer, int Start, int End, double Score);

/// <summary>A unit-length sentence embedding.</summary>
public sealed record EmbedResult(float[] Embedding);

/// <summary>Opens the backend a task and a backend name ask for.</summary>
public static class InferenceBackends
{
    public static IServingBackend Load(string modelDir, ServingOptions options) => options.Backend switch
    {
        ServingBackend.Torch or ServingBackend.TorchPacked => TorchBackends.Load(modelDir, options),
        ServingBackend.Onnx or ServingBackend.OnnxInt8 => options.Task switch
        {
            ServingTask.Classify => OnnxClassifier.Load(modelDir, options),
            ServingTask.Ner => OnnxTagger.Load(modelDir, options),
            ServingTask.Qa => OnnxQaReader.Load(modelDir, options),
            _ => OnnxEmbedBackend.Load(modelDir, options),
        },
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.Backend, "unknown backend"),
    };
}
