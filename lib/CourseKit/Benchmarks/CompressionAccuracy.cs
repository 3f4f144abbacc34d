using System.Diagnostics;
using CourseKit.Checkpoints;
using CourseKit.Data;
using CourseKit.Models;
using CourseKit.Tasks.QuestionAnswering;
using CourseKit.Tasks.TokenClassification;
using CourseKit.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Benchmarks;

/// <summary>One backend's score on the labelled set, in points (0-100), and its change from the first backend's.</summary>
public sealed record CompressionAccuracyRow(string Backend, string Metric, double Score, double DeltaPoints, double Seconds, long? GraphBytes);

/// <summary>
/// What compression costs in accuracy, on real labelled data: the same fine-tuned folder run by TorchSharp in fp32
/// and bf16 and by ONNX Runtime on the kit's fp32 and int8 exports (<see cref="OnnxExport"/>), scored with the task's
/// own metric: entity F1 (conlleval) for a tagger, accuracy for a sentence classifier. The graphs are written into
/// <c>workDir</c>, never into the model folder.
/// </summary>
public static class CompressionAccuracy
{
    public static readonly IReadOnlyList<string> Backends = ["torch-fp32", "torch-bf16", "onnx-fp32", "onnx-int8"];

    /// <summary>Entity F1 of the tagger in <paramref name="modelDir"/> on <paramref name="data"/> under each backend,
    /// one row per backend and decoding (argmax and IOB2-constrained read the same log-probabilities).</summary>
    public static IReadOnlyList<CompressionAccuracyRow> Tagger(string modelDir, TokenClassificationData data, TokenClassificationOptions options,
        IReadOnlyList<string> backends, string workDir, int threads = 0, Action<string>? log = null)
    {
        var scores = new List<(string Backend, TagDecoding Decoding, double F1, double Seconds, long? Bytes)>();
        foreach (var backend in Checked(backends))
        {
            var clock = Stopwatch.StartNew();
            var logProbs = TaggerLogProbs(modelDir, backend, data, options, workDir, threads);
            long? bytes = backend.StartsWith("onnx", StringComparison.Ordinal) ? new FileInfo(GraphPath(workDir, OnnxExportHead.TokenClassification, backend)).Length : null;
            foreach (var decoding in Enum.GetValues<TagDecoding>())
            {
                var evaluation = TokenClassificationTask.Score(data, TokenClassificationPredictor.Decode(logProbs, decoding, data.Labels), double.NaN);
                scores.Add((backend, decoding, 100 * evaluation.Reports.Entity.Overall.Scores.F1, clock.Elapsed.TotalSeconds, bytes));
            }
            log?.Invoke($"{backend}: entity F1 {scores[^2].F1:F2} argmax / {scores[^1].F1:F2} constrained ({clock.Elapsed.TotalSeconds:F0} s)");
        }
        return scores.Select(s => new CompressionAccuracyRow(s.Backend, $"entity F1 ({NerReproduction.DecodingName(s.Decoding)})", s.F1,
            s.F1 - scores.First(b => b.Decoding == s.Decoding).F1, s.Seconds, s.Bytes)).ToArray();
    }

    /// <summary>Accuracy of the sentence classifier in <paramref name="modelDir"/> under each backend.</summary>
    public static IReadOnlyList<CompressionAccuracyRow> Classifier(string modelDir, IReadOnlyList<(string Text, int Label)> data,
        IReadOnlyList<string> backends, string workDir, int maxLength = 128, int threads = 0, Action<string>? log = null)
    {
        var tokenizer = Pretrained.LoadTokenizer(modelDir);
        var rows = new List<CompressionAccuracyRow>();
        foreach (var backend in Checked(backends))
        {
            var clock = Stopwatch.StartNew();
            long? bytes = null;
            double accuracy;
            if (backend.StartsWith("torch", StringComparison.Ordinal))
                accuracy = ClassifierAccuracy.Torch(modelDir, data, backend == "torch-bf16" ? ScalarType.BFloat16 : ScalarType.Float32, maxLength: maxLength);
            else
            {
                var graph = Export(modelDir, workDir, OnnxExportHead.SequenceClassification, backend);
                bytes = new FileInfo(graph).Length;
                accuracy = ClassifierAccuracy.Onnx(graph, tokenizer, data, maxLength: maxLength, threads: threads);
            }
            double points = 100 * accuracy;
            rows.Add(new CompressionAccuracyRow(backend, "accuracy", points, rows.Count == 0 ? 0 : points - rows[0].Score, clock.Elapsed.TotalSeconds, bytes));
            log?.Invoke($"{backend}: accuracy {points:F2} ({clock.Elapsed.TotalSeconds:F0} s)");
        }
        return rows;
    }

    /// <summary>SQuAD exact match and F1 of the extractive reader in <paramref name="modelDir"/> on
    /// <paramref name="questions"/> (its held-out articles) under each backend: two rows per backend.</summary>
    public static IReadOnlyList<CompressionAccuracyRow> Reader(string modelDir, SquadDataset data, IReadOnlyList<SquadQuestion> questions,
        QuestionAnsweringOptions options, IReadOnlyList<string> backends, string workDir, int threads = 0, Action<string>? log = null)
    {
        var tokenizer = Pretrained.LoadTokenizer(modelDir);
        var features = QaFeatures.Build(tokenizer, data, questions, options.MaxLength, options.Stride);
        var rows = new List<CompressionAccuracyRow>();
        foreach (var backend in Checked(backends))
        {
            var clock = Stopwatch.StartNew();
            long? bytes = null;
            IReadOnlyList<(float[] Start, float[] End)> logits;
            if (backend.StartsWith("torch", StringComparison.Ordinal))
            {
                using var reader = BertForQuestionAnswering.FromPretrained(modelDir);
                if (backend == "torch-bf16") reader.to(ScalarType.BFloat16);
                logits = QuestionAnsweringTask.Logits(reader, tokenizer, features, options.EvalBatchSize);
            }
            else
            {
                var graph = Export(modelDir, workDir, OnnxExportHead.QuestionAnswering, backend);
                bytes = new FileInfo(graph).Length;
                using var session = new OnnxBertSession(graph, threads);
                logits = QuestionAnsweringTask.Logits(session, tokenizer, features, options.EvalBatchSize);
            }
            var answers = QaSpans.BestPerQuestion(features, logits, options.NBest, options.MaxAnswerLength);
            var scores = QuestionAnsweringTask.Score(data, questions, answers);
            double seconds = clock.Elapsed.TotalSeconds;
            rows.Add(new CompressionAccuracyRow(backend, "exact match", scores.ExactMatch, rows.Count == 0 ? 0 : scores.ExactMatch - rows[0].Score, seconds, bytes));
            rows.Add(new CompressionAccuracyRow(backend, "F1", scores.F1, rows.Count == 1 ? 0 : scores.F1 - rows[1].Score, seconds, bytes));
            log?.Invoke($"{backend}: EM {scores.ExactMatch:F2} F1 {scores.F1:F2} ({seconds:F0} s)");
        }
        return rows;
    }

    static IReadOnlyList<string> Checked(IReadOnlyList<string> backends)
    {
        var unknown = backends.Where(b => !Backends.Contains(b)).ToArray();
        if (unknown.Length > 0) throw new ArgumentException($"unknown backend {string.Join(", ", unknown)}; known: {string.Join(", ", Backends)}");
        if (backends.Count == 0) throw new ArgumentException("no backend to score");
        return backends;
    }

    /// <summary>Each word's label log-probabilities ([sentence][word][label]) from the tagger under one backend: what
    /// the entity F1 of <see cref="Tagger"/> is decoded from, and what a parity check compares.</summary>
    public static float[][][] TaggerLogProbs(string modelDir, string backend, TokenClassificationData data, TokenClassificationOptions options,
        string workDir, int threads = 0)
    {
        var tokenizer = Pretrained.LoadTokenizer(modelDir);
        return Checked([backend])[0] switch
        {
            "torch-fp32" => TorchTagger(modelDir, tokenizer, data, options, ScalarType.Float32),
            "torch-bf16" => TorchTagger(modelDir, tokenizer, data, options, ScalarType.BFloat16),
            _ => OnnxTagger(modelDir, tokenizer, data, options, Export(modelDir, workDir, OnnxExportHead.TokenClassification, backend), threads),
        };
    }

    static string GraphPath(string workDir, OnnxExportHead head, string backend) =>
        Path.Combine(workDir, $"{OnnxExportHeads.Name(head)}{(backend == "onnx-int8" ? ".int8" : "")}.onnx");

    static string Export(string modelDir, string workDir, OnnxExportHead head, string backend) =>
        OnnxExport.ExportFolder(modelDir, GraphPath(workDir, head, backend), new OnnxExportOptions { Head = head, Int8 = backend == "onnx-int8" }).Path;

    static float[][][] TorchTagger(string modelDir, BertTextTokenizer tokenizer, TokenClassificationData data, TokenClassificationOptions options, ScalarType dtype)
    {
        using var model = BertForTokenClassification.FromPretrained(modelDir);
        if (dtype != ScalarType.Float32) model.to(dtype);
        return TokenClassificationPredictor.PredictLogProbs(model, tokenizer, data.Windows, options).WordLogProbs;
    }

    static float[][][] OnnxTagger(string modelDir, BertTextTokenizer tokenizer, TokenClassificationData data,
        TokenClassificationOptions options, string graph, int threads)
    {
        using var session = new OnnxBertSession(graph, threads);
        return TokenClassificationPredictor.WordLogProbs(session, tokenizer, data.Windows, data.Labels.Count, options.EvalBatchSize, $"{graph} ({modelDir})");
    }
}
