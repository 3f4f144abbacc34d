using CourseKit.Models;
using CourseKit.Tasks.SequenceClassification;
using CourseKit.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tasks.Monitoring;

/// <summary>Raw class logits per text (columns in label order) and a unit-length sentence embedding per text (the
/// classifier's own mean-pooled last layer; empty rows when a scorer has none). The monitor works on logits, not
/// probabilities: temperature scaling and the energy score both need them.</summary>
public sealed record ScoredTexts(float[][] Logits, float[][] Embeddings);

/// <summary>Scores texts for the monitor; <see cref="SentimentClassifier"/> is the real one, tests use stubs.</summary>
public interface ISentimentScorer
{
    IReadOnlyList<string> Labels { get; }
    ScoredTexts Score(IReadOnlyList<string> texts);
}

/// <summary>What the monitor reads from one scored text.</summary>
public readonly record struct SentimentScore(int Predicted, float Negative, float Neutral, float Positive, float MaxSoftmax, float Energy)
{
    /// <summary>P(positive) − P(negative): one number per sentence in [−1, 1], what the daily index averages.</summary>
    public float Polarity => Positive - Negative;
    public bool IsNegative => Predicted == SentimentLabels.Negative;
}

/// <summary>The PhraseBank label order the monitor expects (negative, neutral, positive: FineTuningData.PhraseBankLabels).</summary>
public static class SentimentLabels
{
    public const int Negative = 0, Neutral = 1, Positive = 2;

    /// <summary>Calibrated scores: softmax(logits / T); energy = −T·log Σ exp(z/T) (Liu et al. 2020: lower for
    /// in-distribution input, so the energy itself is the out-of-domain score: higher = more foreign).</summary>
    public static SentimentScore[] Score(IReadOnlyList<float[]> logits, double temperature)
    {
        var probabilities = Metrics.TemperatureScaling.Softmax(logits, temperature);
        return logits.Select((z, i) =>
        {
            var p = probabilities[i];
            var (predicted, confidence) = Metrics.Calibration.Top(p);
            double max = z.Max() / temperature;
            double energy = -temperature * (max + Math.Log(z.Sum(v => Math.Exp(v / temperature - max))));
            return new SentimentScore(predicted, p[Negative], p[Neutral], p[Positive], (float)confidence, (float)energy);
        }).ToArray();
    }

    /// <summary>Throws unless <paramref name="labels"/> is negative, neutral, positive in that order.</summary>
    public static void Require(IReadOnlyList<string> labels, string where)
    {
        if (!labels.SequenceEqual(FineTuningData.PhraseBankLabels, StringComparer.OrdinalIgnoreCase))
            throw new InvalidDataException($"{where}: the classifier's labels are [{string.Join(", ", labels)}]; the monitor needs [negative, neutral, positive]");
    }
}

/// <summary>A fine-tuned sequence classifier (the module and forward of a fine-tuning run, or a saved Hugging Face
/// folder) as an <see cref="ISentimentScorer"/>: texts are sorted by length and scored in batches without gradients.</summary>
public sealed class SentimentClassifier : ISentimentScorer
{
    readonly nn.Module _module;
    readonly ClassifierForward _forward;
    readonly BertTextTokenizer _tokenizer;
    readonly int _maxLength;

    public SentimentClassifier(nn.Module module, ClassifierForward forward, BertTextTokenizer tokenizer, IReadOnlyList<string> labels, int maxLength)
    {
        _module = module;
        _forward = forward;
        _tokenizer = tokenizer;
        _maxLength = maxLength;
        Labels = labels;
    }

    public IReadOnlyList<string> Labels { get; }
    public int BatchSize { get; init; } = 64;
    /// <summary>When set, the embeddings come from this sentence encoder (the pretrained all-MiniLM-L6-v2) instead of
    /// the classifier's last layer: fine-tuning pulls the classifier's features towards sentiment, while the pretrained
    /// encoder keeps the topic, which is what tells a movie review from a quarterly report. Costs a second forward.</summary>
    public SentenceEncoder? Embedder { get; init; }

    /// <summary>The classifier a fine-tuning run holds in memory (best weights).</summary>
    public static SentimentClassifier From(FineTuneResult result, SentenceEncoder? embedder = null) =>
        new(result.Classifier!.Module, result.Classifier.Forward, result.Tokenizer!, result.Labels, result.MaxLength) { Embedder = embedder };

    /// <summary>A saved classifier folder (best-model/ of a full fine-tuning run: config.json with id2label, weights, vocab).</summary>
    public static SentimentClassifier Load(string dir, int maxLength = 128, SentenceEncoder? embedder = null)
    {
        var model = Pretrained.Load(dir, BertConfig.Load, c => new BertForSequenceClassification(c)).Model;
        var labels = Enumerable.Range(0, model.Config.NumLabels).Select(i => model.Config.Id2Label?.GetValueOrDefault(i.ToString()) ?? $"LABEL_{i}").ToArray();
        model.eval();
        return new SentimentClassifier(model, (ids, mask, types, y) => model.forward(ids, mask, types, y), Pretrained.LoadTokenizer(dir), labels, maxLength)
            { Embedder = embedder };
    }

    public ScoredTexts Score(IReadOnlyList<string> texts)
    {
        var options = new EncodeOptions { MaxLength = _maxLength, Truncation = true };
        var encoded = texts.Select(t => _tokenizer.Encode(t, options).InputIds.ToArray()).ToArray();
        var device = _module.parameters().FirstOrDefault()?.device;
        bool wasTraining = _module.training;
        _module.eval();
        float[][] result, embeddings;
        bool poolOwn = Embedder is null;
        try
        {
            using var noGrad = no_grad();
            var rows = LengthBatches.Map(encoded, ids => ids.Length, BatchSize, batch =>
            {
                var (input, mask, types, _) = SequenceClassificationBatches.Collate(batch.Select(ids => new EncodedExample(ids, 0)).ToArray(), _tokenizer.PadId, device);
                var output = _forward(input, mask, types, null);
                var logits = output.Logits.to_type(ScalarType.Float32).cpu();
                var logitRows = LengthBatches.Rows(logits.data<float>().ToArray(), batch.Count, (int)logits.shape[1]);
                if (!poolOwn) return logitRows.Select(l => (Logits: l, Pooled: Array.Empty<float>())).ToArray();
                // The fine-tuned encoder's mean-pooled last layer: free (the forward ran anyway) and, for nearest-
                // neighbour out-of-domain scores, better than the pretrained encoder's (Sun et al. 2022).
                var pooled = SentenceEncoder.Normalize(SentenceEncoder.Pool(output.Hidden.LastHiddenState, mask, SentencePooling.Mean))
                    .to_type(ScalarType.Float32).cpu();
                return logitRows.Zip(LengthBatches.Rows(pooled.data<float>().ToArray(), batch.Count, (int)pooled.shape[1]), (l, p) => (Logits: l, Pooled: p)).ToArray();
            });
            result = rows.Select(r => r.Logits).ToArray();
            embeddings = rows.Select(r => r.Pooled).ToArray();
        }
        finally { if (wasTraining) _module.train(); }
        if (Embedder is not null)
        {
            using var quiet = Reporting.Reporter.Quiet(); // the stream's own progress line is enough
            embeddings = Embedder.EncodeRows(texts, BatchSize);
        }
        return new ScoredTexts(result, embeddings);
    }
}
