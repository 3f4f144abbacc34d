using CourseKit.Native;
using CourseKit.Tasks.Recommendation;

namespace CourseKit.Tests.Tasks.Recommendation;

/// <summary>A planted sequential pattern: every user walks the items in a fixed cycle (k → k+1 mod 60) from a random
/// start. The next item is fully determined by the last one, yet every item is equally popular.</summary>
[KeepTensorsAlive]
public class PlantedPatternTests
{
    public PlantedPatternTests() => TorchRuntime.Initialize();

    static LeaveOneOutSplit CycleData(int users = 200, int items = 60, int length = 14, int seed = 5)
    {
        var random = new Random(seed);
        return new LeaveOneOutSplit(Enumerable.Range(1, users).Select(u =>
        {
            int start = random.Next(items);
            return (u, Enumerable.Range(0, length).Select(t => 1 + (start + t) % items).ToArray());
        }).ToList());
    }

    [Fact]
    public void SasRec_learns_the_cycle_and_popularity_does_not()
    {
        TorchSharp.torch.set_num_threads(1);
        var split = CycleData();
        using var sasrec = new SasRecRecommender(split, new SequenceModelOptions
        {
            MaxLength = 12, Hidden = 32, Layers = 1, Heads = 1, Dropout = 0.0, Epochs = 60, BatchSize = 32,
            LearningRate = 5e-3, EvalEvery = 10, Patience = 3,
        });
        sasrec.Fit(seed: 1);
        var learnt = RecommenderEvaluation.Evaluate(sasrec, split.Test, resamples: 100);
        var popularity = RecommenderEvaluation.Evaluate(new PopularityRecommender(split), split.Test, resamples: 100);
        // 47 candidates remain after the 13-item history is excluded: chance HR@5 is 5/47 ≈ 0.11.
        Assert.True(learnt.HitRateAt(5).Mean >= 0.9, $"SASRec HR@5 {learnt.HitRateAt(5)}");
        Assert.True(popularity.HitRateAt(5).Mean <= 0.3, $"popularity HR@5 {popularity.HitRateAt(5)}");
        Assert.True(learnt.NdcgAt(10).Mean > 2 * popularity.NdcgAt(10).Mean);
    }

    static SequenceModelOptions Small(int epochs) => new()
    {
        MaxLength = 12, Hidden = 16, Layers = 1, Heads = 1, Dropout = 0.2, Epochs = epochs, BatchSize = 32,
        LearningRate = 5e-3, EvalEvery = 2, Patience = 10, MaskProbability = 0.3,
    };

    static float[] Weights(SequenceRecommender model) =>
        model.Module.parameters().SelectMany(p => p.detach().cpu().data<float>().ToArray()).ToArray();

    [Fact]
    public void A_fit_stopped_and_resumed_from_its_checkpoint_ends_with_the_weights_of_one_never_stopped()
    {
        TorchSharp.torch.set_num_threads(1);
        var split = CycleData(users: 80);
        var dir = TestPaths.NewTempDir("coursekit-seq-resume");
        foreach (var make in new Func<SequenceModelOptions, SequenceRecommender>[] { o => new SasRecRecommender(split, o), o => new Bert4RecRecommender(split, o) })
        {
            TorchSharp.torch.manual_seed(3);                        // the same initial weights for each fit
            using var whole = make(Small(6));
            var wholeSummary = whole.Fit(seed: 2);

            var checkpoint = Path.Combine(dir, whole.Name);
            TorchSharp.torch.manual_seed(3);
            using (var stopped = make(Small(4)))                     // "killed" after epoch 4 (a validation check)
                stopped.Fit(seed: 2, checkpointDir: checkpoint);
            TorchSharp.torch.manual_seed(99);                       // other initial weights: the checkpoint must replace them
            using var resumed = make(Small(6));
            var log = new List<string>();
            var resumedSummary = resumed.Fit(seed: 2, log.Add, checkpoint);

            Assert.Contains(log, l => l.Contains("resuming after epoch 4"));
            Assert.Equal(wholeSummary.BestValidationNdcg10, resumedSummary.BestValidationNdcg10, 12);
            Assert.Equal((wholeSummary.EpochsRun, wholeSummary.BestEpoch, wholeSummary.SequencesTrained),
                (resumedSummary.EpochsRun, resumedSummary.BestEpoch, resumedSummary.SequencesTrained));
            Assert.Equal(Weights(whole), Weights(resumed));

            // Another recipe refuses the folder, naming it.
            TorchSharp.torch.manual_seed(3);
            using var other = make(Small(6) with { Hidden = 8 });
            var e = Assert.Throws<InvalidDataException>(() => other.Fit(seed: 2, checkpointDir: checkpoint));
            Assert.Contains(checkpoint, e.Message);
        }
    }
}
