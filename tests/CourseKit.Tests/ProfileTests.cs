using CourseKit.Benchmarks;
using CourseKit.Tasks.Pretraining;
using CourseKit.Tasks.SequenceClassification;
using CourseKit.Tasks.TokenClassification;

namespace CourseKit.Tests;

/// <summary>One <see cref="Profile"/> type, and each task's quick and full values as documented.</summary>
[KeepTensorsAlive]
public class ProfileTests
{
    [Theory]
    [InlineData("quick", Profile.Quick)]
    [InlineData("Full", Profile.Full)]
    [InlineData(" FULL ", Profile.Full)]
    public void Parses_quick_and_full_in_any_case(string text, Profile expected)
    {
        Assert.Equal(expected, Profiles.Parse(text));
        Assert.Equal(text.Trim().ToLowerInvariant(), expected.Name());
    }

    [Theory]
    [InlineData("medium")]
    [InlineData("")]
    [InlineData(null)]
    public void Rejects_other_words_naming_the_accepted_ones(string? text)
    {
        Assert.False(Profiles.TryParse(text, out _));
        var ex = Assert.Throws<ArgumentException>(() => Profiles.Parse(text));
        Assert.Contains("quick, full", ex.Message);
    }

    [Fact]
    public void Fine_tuning_quick_is_400_100_100_one_epoch_64_tokens_and_full_is_everything_5_epochs_128()
    {
        var quick = FineTuneOptions.For(Profile.Quick);
        Assert.Equal((400, 100, 100, 3, 64), (quick.TrainSize, quick.ValidationSize, quick.TestSize, quick.Epochs, quick.MaxLength));
        var full = FineTuneOptions.For(Profile.Full, FineTuneTask.Sst2, "/models/x");
        Assert.Equal((0, 0, 0, 5, 128), (full.TrainSize, full.ValidationSize, full.TestSize, full.Epochs, full.MaxLength));
        Assert.Equal(FineTuneTask.Sst2, full.Task);
        Assert.Equal("/models/x", full.ModelDir);
        Assert.Equal(CoursePaths.DefaultEncoder, quick.ModelDir);
    }

    [Fact]
    public void Ner_quick_samples_500_and_200_sentences_and_tests_on_all_full_uses_everything()
    {
        var quick = NerReproductionOptions.For(Profile.Quick, "m", "o");
        Assert.Equal((500, 200, (int?)null, 5), (quick.TrainSize, quick.ValidationSize, quick.TestSize, quick.Epochs));
        Assert.Equal("quick", quick.ProfileName);
        var full = NerReproductionOptions.For(Profile.Full, "m", "o");
        Assert.Equal(((int?)null, (int?)null, (int?)null), (full.TrainSize, full.ValidationSize, full.TestSize));
        Assert.Equal("full", full.ProfileName);
        Assert.Equal("custom", new NerReproductionOptions { ModelDir = "m", OutputDir = "o" }.ProfileName);
    }

    [Fact]
    public void Benchmark_quick_and_full_repeats()
    {
        var quick = TrainingBenchmarkOptions.For(Profile.Quick);
        Assert.Equal((1, 4, 3), (quick.WarmupSteps, quick.TimedSteps, quick.AttentionRepeats));
        Assert.Empty(quick.ThreadCounts);
        var full = TrainingBenchmarkOptions.For(Profile.Full);
        Assert.Equal((2, 20, 10), (full.WarmupSteps, full.TimedSteps, full.AttentionRepeats));
        Assert.Equal([1, 2], full.ThreadCounts);
        foreach (var o in new[] { quick, full })
            Assert.Equal((16, 128, 4, 256), (o.BatchSize, o.SequenceLength, o.Model.NumHiddenLayers, o.Model.HiddenSize));
    }

    [Fact]
    public void Pretraining_quick_is_short_full_is_2000_steps()
    {
        var bertQuick = PretrainingRecipes.Bert(Profile.Quick, seed: 7, outputDir: "o");
        var bertFull = PretrainingRecipes.Bert(Profile.Full);
        Assert.Equal((60, 16, 600), (bertQuick.Steps, bertQuick.BatchSize, bertQuick.Corpus.MaxSentencesPerSource));
        Assert.Equal((7, "o"), (bertQuick.Seed, bertQuick.OutputDir));
        Assert.Equal((2000, 32), (bertFull.Steps, bertFull.BatchSize));
        Assert.Equal(120, PretrainingRecipes.Gpt(Profile.Quick).Steps);
        Assert.Equal(2000, PretrainingRecipes.Gpt(Profile.Full).Steps);
    }
}
