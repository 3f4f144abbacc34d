using CourseKit.Benchmarks;
using CourseKit.Models;

namespace CourseKit.Tasks.Distillation;

/// <summary>Inference speed of one model: sequences per second and latency (median ms per call) at batch 1 and 32.</summary>
public sealed record SpeedFigures(double Batch1LatencyMs, double Batch32LatencyMs)
{
    public double Batch1Throughput => 1000.0 / Batch1LatencyMs;
    public double Batch32Throughput => 32 * 1000.0 / Batch32LatencyMs;
}

/// <summary>
/// Times the teacher and its students side by side through the kit's inference benchmark
/// (<see cref="InferenceBenchmark.TimeShape"/>): eval mode, inference mode, full-length sequences of random
/// in-vocabulary ids (the smallest vocabulary of the models), the models interleaved round by round so a change in the
/// machine's load hits all of them alike, latency = the median call.
/// </summary>
public static class DistillationSpeed
{
    public static SpeedFigures[] Measure(IReadOnlyList<BertForSequenceClassification> models, int sequenceLength, int rounds, int seed)
    {
        if (sequenceLength > models.Min(m => m.Config.MaxPositionEmbeddings))
            throw new ArgumentException($"sequence length {sequenceLength} exceeds a model's max_position_embeddings");
        var smallestVocabulary = models.MinBy(m => m.Config.VocabSize)!.Config;
        var wasTraining = models.Select(m => m.training).ToArray();
        foreach (var m in models) m.eval();
        try
        {
            var backends = models.Select((m, i) => new ModuleBackend($"model {i}", (ids, mask) => m.forward(ids, mask, null, null).Logits)).ToArray();
            var options = new InferenceBenchmarkOptions { Rounds = rounds, MinRoundSeconds = 0.2, Seed = seed };
            var batch1 = InferenceBenchmark.TimeShape(backends, smallestVocabulary, 1, sequenceLength, options).ToArray();
            var batch32 = InferenceBenchmark.TimeShape(backends, smallestVocabulary, 32, sequenceLength, options).ToArray();
            return models.Select((_, i) => new SpeedFigures(batch1[i].P50Ms, batch32[i].P50Ms)).ToArray();
        }
        finally
        {
            for (int i = 0; i < models.Count; i++) if (wasTraining[i]) models[i].train();
        }
    }
}
