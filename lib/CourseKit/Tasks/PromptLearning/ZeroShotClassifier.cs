using CourseKit.Metrics;
using CourseKit.Models;
using CourseKit.Tasks.SequenceClassification;
using static TorchSharp.torch;

namespace CourseKit.Tasks.PromptLearning;

/// <summary>
/// Zero-shot classification by label descriptions with a sentence encoder: score[i, c] = cos(embed(sentence i),
/// embed(description c)); an ensemble of phrasings averages the score matrices; the label is the argmax. Optional
/// calibration subtracts each label's mean score over unlabelled sentences (Zhao et al. 2021's contextual calibration
/// in its simplest form): a description that is close to every sentence ("good") stops winning by default.
/// </summary>
public sealed class ZeroShotClassifier(SentenceEncoder encoder)
{
    /// <summary>The sentence length of the issue's measured figures (tokens, [CLS] and [SEP] included).</summary>
    public const int DefaultMaxLength = 128;

    public SentenceEncoder Encoder { get; } = encoder;
    // Descriptions are re-scored many times by the ensemble search: each is embedded once.
    readonly Dictionary<string, float[]> _descriptions = new(StringComparer.Ordinal);

    /// <summary>One label description's unit vector (cached, without a progress line).</summary>
    public float[] EmbedDescription(string description)
    {
        if (_descriptions.TryGetValue(description, out var cached)) return cached;
        using var quiet = Reporting.Reporter.Quiet();
        return _descriptions[description] = Embed([description])[0];
    }

    /// <summary>Loads a sentence-transformers folder (by default the imported all-MiniLM-L6-v2) with mean pooling,
    /// L2 normalisation and sentences truncated at <paramref name="maxLength"/> tokens.</summary>
    public static ZeroShotClassifier Load(string? modelDir = null, int maxLength = DefaultMaxLength) =>
        new(SentenceEncoder.Load(modelDir ?? Checkpoints.ImportedEncoders.EnsureDefault(), maxLength: maxLength));

    /// <summary>Unit-length sentence embeddings [N, H] as plain rows (computed once, scored against many phrasings).</summary>
    public float[][] Embed(IReadOnlyList<string> texts)
    {
        using var e = Encoder.Encode(texts);
        return Rows(e);
    }

    /// <summary>[N, C] scores of sentences (embeddings from <see cref="Embed"/>) against each phrasing, averaged over the ensemble.</summary>
    public float[][] Score(float[][] sentences, IReadOnlyList<LabelPhrasing> ensemble)
    {
        if (ensemble.Count == 0) throw new ArgumentException("an ensemble needs at least one phrasing", nameof(ensemble));
        int classes = ensemble[0].Descriptions.Count;
        if (ensemble.Any(p => p.Descriptions.Count != classes))
            throw new ArgumentException($"the phrasings of an ensemble must describe the same labels: {string.Join("; ", ensemble.Select(p => $"{p.Name} has {p.Descriptions.Count}"))}");
        return Score(sentences, ensemble.Select(p => p.Descriptions.Select(EmbedDescription).ToArray()).ToArray());
    }

    /// <summary>score[i, c] = mean over phrasings p of cos(sentence i, description c of p), for unit-length rows.</summary>
    public static float[][] Score(float[][] sentences, IReadOnlyList<float[][]> descriptionsPerPhrasing)
    {
        int classes = descriptionsPerPhrasing[0].Length;
        var sum = sentences.Select(_ => new float[classes]).ToArray();
        foreach (var labels in descriptionsPerPhrasing)
            for (int i = 0; i < sentences.Length; i++)
                for (int c = 0; c < classes; c++) sum[i][c] += Dot(sentences[i], labels[c]) / descriptionsPerPhrasing.Count;
        return sum;
    }

    /// <summary>Each label's mean score over unlabelled sentences: what <see cref="Calibrate"/> subtracts.</summary>
    public static float[] LabelBias(float[][] scores) => scores.Length == 0
        ? throw new ArgumentException("label bias: no tuning sentences to estimate it on (a tuning size of at least 1 is needed to calibrate)")
        : Enumerable.Range(0, scores[0].Length).Select(c => scores.Average(row => row[c])).Select(v => (float)v).ToArray();

    public static float[][] Calibrate(float[][] scores, float[] bias) =>
        scores.Select(row => row.Select((v, c) => v - bias[c]).ToArray()).ToArray();

    public static int[] Predict(float[][] scores) => scores.Select(SequenceClassificationBatches.ArgMax).ToArray();

    /// <summary>Accuracy, macro-F1 and the rest of the report of argmax predictions against gold labels.</summary>
    public static ClassificationReport Report(float[][] scores, IReadOnlyList<LabeledText> gold, IReadOnlyList<string> labels) =>
        ClassificationReport.Compute(gold.Select(e => e.Label).ToArray(), Predict(scores), labels);

    /// <summary>Classifies texts with one phrasing or an ensemble; returns the label ids.</summary>
    public int[] Classify(IReadOnlyList<string> texts, IReadOnlyList<LabelPhrasing> ensemble) => Predict(Score(Embed(texts), ensemble));

    public static float Dot(float[] a, float[] b)
    {
        float s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    public static float[][] Rows(Tensor matrix)
    {
        int n = (int)matrix.shape[0], h = (int)matrix.shape[1];
        var flat = matrix.contiguous().data<float>().ToArray();
        return Enumerable.Range(0, n).Select(i => flat.AsSpan(i * h, h).ToArray()).ToArray();
    }
}
