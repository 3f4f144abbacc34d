using CourseKit.Native;
using CourseKit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tests.Training;

[KeepTensorsAlive]
public class LengthGroupedOrderTests
{
    static int[] Lengths(int n, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => random.Next(40, 385)).ToArray();
    }

    /// <summary>Tokens a batch is padded to (its longest × its size), summed over the epoch.</summary>
    static long PaddedTokens(int[] order, int[] lengths, int batchSize) =>
        order.Chunk(batchSize).Sum(b => (long)b.Max(i => lengths[i]) * b.Length);

    [Fact]
    public void Is_a_permutation_that_pads_far_less_than_a_random_order()
    {
        var lengths = Lengths(1_237, 1);                                  // 77 full batches of 16 and a short one of 5
        var grouped = LengthGroupedOrder.Of(lengths, 16, seed: 42, epoch: 0);
        var random = Trainer.EpochOrder(lengths.Length, 42, 0, shuffle: true);

        Assert.Equal(Enumerable.Range(0, lengths.Length), grouped.Order());
        long real = lengths.Sum(l => (long)l);
        double groupedWaste = (double)PaddedTokens(grouped, lengths, 16) / real, randomWaste = (double)PaddedTokens(random, lengths, 16) / real;
        Assert.True(groupedWaste < 1.1, $"grouped batches pad to {groupedWaste:F3}× the real tokens");
        Assert.True(randomWaste > 1.4, $"random batches pad to {randomWaste:F3}× (the test's data should show the difference)");
    }

    [Fact]
    public void Same_seed_and_epoch_give_the_same_order_and_epochs_differ()
    {
        var lengths = Lengths(500, 2);
        Assert.Equal(LengthGroupedOrder.Of(lengths, 8, 7, 3), LengthGroupedOrder.Of(lengths, 8, 7, 3));
        Assert.NotEqual(LengthGroupedOrder.Of(lengths, 8, 7, 3), LengthGroupedOrder.Of(lengths, 8, 7, 4));
        Assert.NotEqual(LengthGroupedOrder.Of(lengths, 8, 7, 3), LengthGroupedOrder.Of(lengths, 8, 8, 3));
    }

    [Fact]
    public void Batches_are_not_in_length_order_and_the_short_batch_comes_last()
    {
        var lengths = Lengths(16 * 120 + 5, 3);                           // three mega-batches, the last one short
        var batches = LengthGroupedOrder.Of(lengths, 16, 1, 0).Chunk(16).ToArray();
        Assert.Equal(5, batches[^1].Length);
        Assert.All(batches[..^1], b => Assert.Equal(16, b.Length));
        var longest = batches[..^1].Select(b => b.Max(i => lengths[i])).ToArray();
        bool descending = longest.Zip(longest.Skip(1)).All(p => p.First >= p.Second);
        Assert.False(descending, "batches should be shuffled, not served longest first");
    }

    [Fact]
    public void The_trainer_uses_it_when_the_task_gives_lengths()
    {
        TorchRuntime.Initialize();
        var lengths = Lengths(320, 4);
        var spreads = new List<int>();
        torch.manual_seed(1);
        var model = nn.Linear(1, 1);
        var task = new TrainingTask<int>
        {
            Model = model, TrainSet = Enumerable.Range(0, lengths.Length).ToArray(), BatchSize = 16, LengthOf = i => lengths[i],
            Loss = batch =>
            {
                spreads.Add(batch.Max(i => lengths[i]) - batch.Min(i => lengths[i]));
                using var x = torch.tensor(batch.Select(i => (float)lengths[i] / 384).ToArray()).reshape(-1, 1);
                return model.forward(x).pow(2).mean();
            },
        };
        Trainer.Run(task, new TrainerOptions { Epochs = 2, LearningRate = 1e-3, LogEverySteps = 100 });
        Assert.Equal(40, spreads.Count);
        Assert.True(spreads.Average() < 40, $"mean length spread within a batch {spreads.Average():F1} tokens (random batches: ~300)");
    }

    [Fact]
    public void A_batch_size_below_one_is_refused_naming_the_argument()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => LengthGroupedOrder.Of([3, 4, 5], 0, 1, 0));
        Assert.Equal("batchSize", error.ParamName);
    }
}
