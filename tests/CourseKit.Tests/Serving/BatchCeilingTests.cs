using CourseKit.Serving;

namespace CourseKit.Tests.Serving;

[KeepTensorsAlive]
public sealed class BatchCeilingTests
{
    /// <summary>Each call costs a fixed wait, whatever its size: batching's best case.</summary>
    sealed class FixedCostBackend(TimeSpan perCall) : IServingBackend
    {
        public List<int> CallSizes { get; } = new();
        public ServingTask Task => ServingTask.Embed;
        public string Description => "fixed cost per call";

        public IReadOnlyList<object> Run(IReadOnlyList<ServingInput> inputs)
        {
            CallSizes.Add(inputs.Count);
            Thread.Sleep(perCall);
            return inputs.Select(i => (object)i.Text).ToArray();
        }

        public void Dispose() { }
    }

    [Fact]
    public void The_same_inputs_run_as_one_call_and_one_call_each_alternately_after_a_warm_up()
    {
        var backend = new FixedCostBackend(TimeSpan.FromMilliseconds(15));
        var inputs = Enumerable.Range(0, 6).Select(i => new ServingInput($"text {i}")).ToArray();
        var ceiling = BatchCeiling.Measure(backend, inputs, rounds: 2);
        // Warm-up and two rounds, each: one call of 6, then six calls of 1.
        int[] round = [6, 1, 1, 1, 1, 1, 1];
        Assert.Equal(round.Concat(round).Concat(round), backend.CallSizes);
        Assert.Equal((6, 2), (ceiling.Inputs, ceiling.Rounds));
        // Sleeps last at least what was asked, so these lower bounds hold on any machine.
        Assert.True(ceiling.MedianBatchMs >= 15, $"{ceiling.MedianBatchMs} ms");
        Assert.True(ceiling.MedianOneByOneMs >= 6 * 15, $"{ceiling.MedianOneByOneMs} ms");
        Assert.Equal(ceiling.MedianOneByOneMs / ceiling.MedianBatchMs, ceiling.Speedup, 9);
    }

    [Fact]
    public void No_inputs_or_no_rounds_are_refused()
    {
        var backend = new FixedCostBackend(TimeSpan.Zero);
        Assert.Throws<ArgumentException>(() => BatchCeiling.Measure(backend, [], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchCeiling.Measure(backend, [new ServingInput("a")], 0));
        Assert.Empty(backend.CallSizes);
    }
}
