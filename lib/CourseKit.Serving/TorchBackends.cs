using CourseKit.Models;
using CourseKit.Tasks.QuestionAnswering;
using CourseKit.Tasks.SequenceClassification;
using CourseKit.Tasks.TokenClassification;
using CourseKit.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Serving;

/// <summary>
/// The kit's TorchSharp models behind the service, each through the kit's own predictor. Every call runs inside
/// its own dispose scope and without gradients, so no tensor of a request outlives it and none is left to a
/// finalizer (TorchSharp 0.107 frees tensors and scalars from the finalizer thread, racing a running native call;
/// dotnet/TorchSharp#1496).
/// </summary>
public static class TorchBackends
{
    public static IServingBackend Load(string modelDir, ServingOptions options)
    {
        if (!File.Exists(Path.Combine(modelDir, "config.json")))
            throw new DirectoryNotFoundException($"{modelDir}: not a Hugging Face model folder (no config.json)");
        var tokenizer = Pretrained.LoadTokenizer(modelDir);
        PackedLinears? packed = null;
        T Packed<T>(T model) where T : nn.Module
        {
            if (options.Backend == ServingBackend.TorchPacked) packed = PackedLinears.Pack(model);
            return model;
        }
        IServingBackend backend;
        try
        {
            backend = options.Task switch
            {
                ServingTask.Classify => new TorchClassifier(Packed(BertForSequenceClassification.FromPretrained(modelDir)), tokenizer, options),
                ServingTask.Ner => new TorchTagger(Packed(BertForTokenClassification.FromPretrained(modelDir)), tokenizer, options),
                ServingTask.Qa => new TorchQa(Packed(BertForQuestionAnswering.FromPretrained(modelDir)), tokenizer, options),
                ServingTask.Embed => new TorchEmbedder(PackedEncoder(SentenceEncoder.Load(modelDir, maxLength: options.MaxSequenceLength))),
                _ => throw new ArgumentOutOfRangeException(nameof(options), options.Task, "unknown task"),
            };
        }
        catch
        {
            packed?.Dispose();   // the packed weights are native memory; a backend that failed to build must not keep them
            throw;
        }
        return packed is null ? backend : new PackedTorchBackend(backend, packed);

        SentenceEncoder PackedEncoder(SentenceEncoder encoder)
        {
            Packed(encoder.Model);
            return encoder;
        }
    }

    internal static string[] Labels(BertConfig config) =>
        Enumerable.Range(0, config.NumLabels).Select(i => config.Id2Label?.GetValueOrDefault(i.ToString()) ?? $"LABEL_{i}").ToArray();

    internal static IReadOnlyList<object> Scoped(Func<IReadOnlyList<object>> run)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return run();
    }
}

sealed class TorchClassifier : IServingBackend
{
    readonly BertForSequenceClassification _model;
    readonly BertTextTokenizer _tokenizer;
    readonly string[] _labels;
    readonly int _maxLength;

    public TorchClassifier(BertForSequenceClassification model, BertTextTokenizer tokenizer, ServingOptions options)
    {
        (_model, _tokenizer) = (model, tokenizer);
        _model.eval();
        _labels = TorchBackends.Labels(model.Config);
        _maxLength = options.MaxSequenceLength ?? model.Config.MaxPositionEmbeddings;
    }

    public ServingTask Task => ServingTask.Classify;
    public string Description => $"torch sequence classifier, labels {string.Join(", ", _labels)}";

    public IReadOnlyList<object> Run(IReadOnlyList<ServingInput> inputs) => TorchBackends.Scoped(() =>
    {
        var examples = inputs.Select((input, i) => new LabeledText(i, input.Text, 0)).ToArray();
        var encoded = SequenceClassificationBatches.Encode(_tokenizer, examples, _maxLength);
        var results = new object[inputs.Count];
        foreach (var chunk in LengthChunks.Split(encoded.Select(e => e.InputIds.Length).ToArray()))
        {
            // Labels are dummies (the predictor also reports a loss); one forward per chunk of similar lengths.
            var (probabilities, _) = SequenceClassificationBatches.Predict(_model, (ids, mask, types, labels) => _model.forward(ids, mask, types, labels),
                chunk.Select(i => encoded[i]).ToArray(), _tokenizer.PadId, batchSize: chunk.Length);
            for (int k = 0; k < chunk.Length; k++) results[chunk[k]] = Result(probabilities[k]);
        }
        return results;
    });

    ClassifyResult Result(float[] p) => ClassifyResult.From(_labels, p);

    public void Dispose() => _model.Dispose();
}

/// <summary>QA on the kit's TorchSharp reader: <see cref="QaReader"/> with the library's batched logits.</summary>
sealed class TorchQa : QaReader
{
    readonly BertForQuestionAnswering _model;

    public TorchQa(BertForQuestionAnswering model, BertTextTokenizer tokenizer, ServingOptions options) : base(tokenizer, model.Config, options)
    {
        _model = model;
        _model.eval();
    }

    public override string Description => $"torch extractive QA, windows of {Qa.MaxLength} tokens";

    public override IReadOnlyList<object> Run(IReadOnlyList<ServingInput> inputs) => TorchBackends.Scoped(() => base.Run(inputs));

    protected override IReadOnlyList<(float[] Start, float[] End)> WindowLogits(IReadOnlyList<QaFeature> features) =>
        QuestionAnsweringTask.Logits(_model, Tokenizer, features, batchSize: WindowBatch);

    public override void Dispose() => _model.Dispose();
}

sealed class TorchEmbedder(SentenceEncoder encoder) : IServingBackend
{
    public ServingTask Task => ServingTask.Embed;
    public string Description => $"torch sentence encoder, {encoder.Pooling.ToString().ToLowerInvariant()} pooling, dimension {encoder.Dimension}";

    // The encoder's own tokenisation and forward (SentenceEncoder.EncodeTokenized), in passes of similar lengths and
    // without SentenceEncoder.Encode's progress display, which a service must not send to the host once per batch.
    public IReadOnlyList<object> Run(IReadOnlyList<ServingInput> inputs) => TorchBackends.Scoped(() =>
    {
        var encoded = inputs.Select(i => encoder.Tokenize(i.Text)).ToArray();
        var results = new object[inputs.Count];
        int h = encoder.Dimension;
        foreach (var chunk in LengthChunks.Split(encoded.Select(e => e.Length).ToArray()))
        {
            using var scope = NewDisposeScope();
            var vectors = encoder.EncodeTokenized(chunk.Select(i => encoded[i]).ToArray()).contiguous();
            var flat = vectors.data<float>().ToArray();
            for (int k = 0; k < chunk.Length; k++) results[chunk[k]] = new EmbedResult(flat.AsSpan(k * h, h).ToArray());
        }
        return results;
    });

    public void Dispose() => encoder.Dispose();
}

/// <summary>A torch backend whose model's Linears run on oneDNN weights packed once; disposing it frees them.</summary>
sealed class PackedTorchBackend(IServingBackend inner, PackedLinears packed) : IServingBackend
{
    public ServingTask Task => inner.Task;
    public string Description => $"{inner.Description}; {packed.Count} Linears on packed oneDNN weights";
    public IReadOnlyList<object> Run(IReadOnlyList<ServingInput> inputs) => inner.Run(inputs);

    public void Dispose()
    {
        packed.Dispose();
        inner.Dispose();
    }
}
