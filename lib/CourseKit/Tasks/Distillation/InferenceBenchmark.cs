using System.Diagnostics;
using CourseKit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tasks.Distillation;

/// <summary>Inference speed of one model: sequences per second and latency (median ms per call) at batch 1 and 32.</summary>
public sealed record SpeedFigures(double Batch1LatencyMs, double Batch32LatencyMs)
{
    public double Batch1Throughput => 1000.0 / Batch1LatencyMs;
    public double Batch32Throughput => 32 * 1000.0 / Batch32LatencyMs;
}

/// <summary>
/// Times classifiers side by side: eval mode, no gradients, full-length sequences of random in-vocabulary ids. The
/// models are interleaved round by round (teacher, student 1, student 2, teacher, …) so a change in the machine's load
/// hits all of them alike, and each figure is the median of its rounds, which a single slow call does not move.
/// </summary>
public static class InferenceBenchmark
{
    /// <param name="sequenceLength">tokens per sequence (all real: the attention mask is all ones)</param>
    /// <param name="repeats">timed rounds; each round makes 5 batch-1 calls and 1 batch-32 call per model</param>
    public static SpeedFigures[] Measure(IReadOnlyList<BertForSequenceClassification> models, int sequenceLength = 128, int repeats = 5, int seed = 0)
    {
        int smallestVocab = models.Min(m => m.Config.VocabSize);
        if (sequenceLength > models.Min(m => m.Config.MaxPositionEmbeddings))
            throw new ArgumentException($"sequence length {sequenceLength} exceeds a model's max_position_embeddings");
        const int callsAtBatch1 = 5;
        var batch1 = models.Select(_ => new List<double>()).ToArray();
        var batch32 = models.Select(_ => new List<double>()).ToArray();
        var generator = new Generator().manual_seed(seed);
        using var ids1 = randint(1000, smallestVocab, [1, sequenceLength], generator: generator);
        using var ids32 = randint(1000, smallestVocab, [32, sequenceLength], generator: generator);
        using var mask1 = ones_like(ids1);
        using var mask32 = ones_like(ids32);
        var wasTraining = models.Select(m => m.training).ToArray();
        foreach (var m in models) m.eval();
        try
        {
            using var noGrad = no_grad();
            foreach (var m in models) { Time(m, ids1, mask1); Time(m, ids32, mask32); }   // warm-up: allocations, kernels
            for (int round = 0; round < repeats; round++)
                for (int i = 0; i < models.Count; i++)
                {
                    for (int c = 0; c < callsAtBatch1; c++) batch1[i].Add(Time(models[i], ids1, mask1));
                    batch32[i].Add(Time(models[i], ids32, mask32));
                }
        }
        finally
        {
            for (int i = 0; i < models.Count; i++) if (wasTraining[i]) models[i].train();
        }
        return models.Select((_, i) => new SpeedFigures(Median(batch1[i]), Median(batch32[i]))).ToArray();
    }

    static double Time(BertForSequenceClassification model, Tensor ids, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        var logits = model.forward(ids, mask, null, null).Logits;
        _ = logits.sum().item<float>(); // waits for the result
        return clock.Elapsed.TotalMilliseconds;
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
