using CourseKit.Tasks.Distillation;

namespace CourseKit.Tests.Tasks.Distillation;

/// <summary>The speed table's mechanics (no timing thresholds: speed targets live in benchmarks, not in tests).</summary>
[KeepTensorsAlive]
public class DistillationSpeedTests(TinyTeacherFixture tiny) : IClassFixture<TinyTeacherFixture>
{
    [Fact]
    public void Every_model_gets_positive_latencies_and_keeps_its_training_mode()
    {
        var student = StudentFactory.Create("2L", tiny.Teacher, tiny.Tokenizer, seed: 1).Model;
        student.train();
        var speeds = DistillationSpeed.Measure([tiny.Teacher, student], sequenceLength: 16, rounds: 1, seed: 3);
        Assert.Equal(2, speeds.Length);
        Assert.All(speeds, s => Assert.True(s.Batch1LatencyMs > 0 && s.Batch32LatencyMs > 0, $"{s}"));
        Assert.Equal(32 * 1000.0 / speeds[1].Batch32LatencyMs, speeds[1].Batch32Throughput, 9);
        Assert.True(student.training);
        Assert.False(tiny.Teacher.training);
    }

    [Fact]
    public void A_sequence_longer_than_the_positions_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => DistillationSpeed.Measure([tiny.Teacher], sequenceLength: 65, rounds: 1, seed: 3));
        Assert.Contains("max_position_embeddings", e.Message);
    }
}
