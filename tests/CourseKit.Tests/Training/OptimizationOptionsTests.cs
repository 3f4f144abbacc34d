using CourseKit.Tasks.SequenceClassification;
using CourseKit.Tasks.TokenClassification;
using CourseKit.Training;

namespace CourseKit.Tests.Training;

/// <summary>Both fine-tuning tasks reach the trainer through the one mapping, with the same names.</summary>
[KeepTensorsAlive]
public class OptimizationOptionsTests
{
    [Fact]
    public void Fine_tuning_and_ner_map_the_same_fields_to_the_trainer()
    {
        var cls = new FineTuneOptions { Epochs = 3, WeightDecay = 0.02, WarmupRatio = 0.2, EarlyStoppingPatience = 4, Seed = 9, BatchSize = 8 };
        var ner = new NerReproductionOptions { ModelDir = "m", OutputDir = "o", Epochs = 3, WeightDecay = 0.02, WarmupRatio = 0.2, EarlyStoppingPatience = 4, Seed = 9, Resume = true };
        var fromCls = cls.ToTrainerOptions(1e-3, "macro_f1", "o");
        var fromNer = NerReproduction.TrainerOptions(ner, 1e-3);
        foreach (var t in new[] { fromCls, fromNer })
        {
            Assert.Equal((3, 1e-3, 0.02, 0.2, 4, 9, "o"), (t.Epochs, t.LearningRate, t.WeightDecay, t.WarmupRatio, t.EarlyStoppingPatience, t.Seed, t.OutputDir));
            Assert.Equal((LrSchedule.Linear, 1.0, true, 1, true, true), (t.Schedule, t.MaxGradNorm, t.GreaterIsBetter, t.KeepLast, t.KeepBest, t.LoadBestAtEnd));
        }
        Assert.Equal("macro_f1", fromCls.MetricForBest);
        Assert.Equal(TokenClassificationTask.EntityF1, fromNer.MetricForBest);
        Assert.False(fromCls.Resume);
        Assert.True(fromNer.Resume);
    }
}
