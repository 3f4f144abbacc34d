using System.Diagnostics;

namespace CourseKit.Serving;

/// <summary>
/// What micro-batching can gain at most on this machine: the backend alone (no HTTP, no queue) running the same
/// inputs as one call and as one call per input, alternated round by round. A CPU forward pass that is already
/// efficient for one short text (its matrix products have enough rows to keep the cores busy) leaves little for
/// batching to win, however well the service groups requests; the load test's batching speedup is read against this.
/// </summary>
public sealed record BatchCeiling(int Inputs, int Rounds, double MedianBatchMs, double MedianOneByOneMs)
{
    /// <summary>Time for the inputs one per call over time for them as one call.</summary>
    public double Speedup => MedianBatchMs <= 0 ? double.NaN : MedianOneByOneMs / MedianBatchMs;

    /// <summary>Runs on the calling thread, which must be the only one using the backend meanwhile (TorchSharp).</summary>
    public static BatchCeiling Measure(IServingBackend backend, IReadOnlyList<ServingInput> inputs, int rounds)
    {
        if (inputs.Count == 0) throw new ArgumentException("no inputs to measure the batching ceiling on", nameof(inputs));
        if (rounds < 1) throw new ArgumentOutOfRangeException(nameof(rounds), rounds, "at least one round");
        void Batch() => backend.Run(inputs);
        void OneByOne() { foreach (var input in inputs) backend.Run([input]); }
        Batch();                                                         // warm-up: first-shape costs, allocator
        OneByOne();
        var batch = new List<double>();
        var single = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            batch.Add(Milliseconds(Batch));
            single.Add(Milliseconds(OneByOne));
        }
        return new BatchCeiling(inputs.Count, rounds, LoadTestClient.Percentile(batch, 0.5), LoadTestClient.Percentile(single, 0.5));
    }

    static double Milliseconds(Action run)
    {
        long start = Stopwatch.GetTimestamp();
        run();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }
}
