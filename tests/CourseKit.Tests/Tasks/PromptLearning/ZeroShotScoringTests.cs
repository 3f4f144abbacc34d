using CourseKit.Tasks.PromptLearning;
using CourseKit.Tasks.SequenceClassification;

namespace CourseKit.Tests.Tasks.PromptLearning;

[KeepTensorsAlive]
public class ZeroShotScoringTests
{
    // Unit vectors in 2-D: sentence 0 points at "negative", sentence 1 at "positive", sentence 2 in between but nearer positive.
    static readonly float[][] Sentences = [[1f, 0f], [0f, 1f], [0.6f, 0.8f]];
    static readonly float[][] PhrasingA = [[1f, 0f], [0f, 1f]];
    static readonly float[][] PhrasingB = [[0.8f, 0.6f], [0.6f, 0.8f]];

    [Fact]
    public void Scores_are_cosines_and_the_label_is_the_nearest_description()
    {
        var scores = ZeroShotClassifier.Score(Sentences, [PhrasingA]);
        Assert.Equal(new[] { 1f, 0f }, scores[0]);
        Assert.Equal(0.6f, scores[2][0], 5);
        Assert.Equal(0.8f, scores[2][1], 5);
        Assert.Equal(new[] { 0, 1, 1 }, ZeroShotClassifier.Predict(scores));
    }

    [Fact]
    public void An_ensemble_averages_the_phrasings_scores()
    {
        var ensemble = ZeroShotClassifier.Score(Sentences, [PhrasingA, PhrasingB]);
        Assert.Equal((0.6f + 0.96f) / 2, ensemble[2][0], 5);
        Assert.Equal((0.8f + 1.0f) / 2, ensemble[2][1], 5);
    }

    [Fact]
    public void Calibration_subtracts_each_labels_mean_score()
    {
        // A description close to everything ("good") wins every sentence until its mean score is subtracted.
        float[][] biased = [[0.50f, 0.55f], [0.20f, 0.60f], [0.45f, 0.50f], [0.10f, 0.70f]];
        Assert.Equal(new[] { 1, 1, 1, 1 }, ZeroShotClassifier.Predict(biased));
        var bias = ZeroShotClassifier.LabelBias(biased);
        Assert.Equal(0.3125f, bias[0], 5);
        Assert.Equal(new[] { 0, 1, 0, 1 }, ZeroShotClassifier.Predict(ZeroShotClassifier.Calibrate(biased, bias)));
    }

    [Fact]
    public void Calibration_without_tuning_sentences_is_refused_with_a_reason() =>
        Assert.Contains("no tuning sentences", Assert.Throws<ArgumentException>(() => ZeroShotClassifier.LabelBias([])).Message);

    [Fact]
    public void Tuning_sentences_are_seeded_and_never_an_evaluation_text()
    {
        var pool = Enumerable.Range(0, 50).Select(i => new LabeledText(i, $"pool sentence {i}", i % 2)).ToList();
        pool.Add(new LabeledText(50, "a dev sentence", 1));                 // SST-2's train holds dev sentences as phrases
        var data = new PromptTaskData(PromptTask.Sst2, "t", ["negative", "positive"], pool, [new LabeledText(0, "a dev sentence", 1)], "dev");
        var all = data.TuningSentences(100, seed: 3);
        Assert.Equal(50, all.Length);
        Assert.DoesNotContain(all, e => e.Text == "a dev sentence");
        Assert.Equal(data.TuningSentences(10, 3).Select(e => e.Id), data.TuningSentences(10, 3).Select(e => e.Id));
        Assert.NotEqual(data.TuningSentences(10, 3).Select(e => e.Id), data.TuningSentences(10, 4).Select(e => e.Id));
        // Leaving the overlapping text out does not move the rest of the draw.
        var without = data with { Evaluation = [new LabeledText(0, "another dev sentence", 1)] };
        Assert.Equal(all.Select(e => e.Id), without.TuningSentences(100, 3).Where(e => e.Id != 50).Select(e => e.Id));
    }

    [Fact]
    public void Report_counts_against_gold_labels()
    {
        var report = ZeroShotClassifier.Report(ZeroShotClassifier.Score(Sentences, [PhrasingA]),
            [new LabeledText(0, "a", 0), new LabeledText(1, "b", 1), new LabeledText(2, "c", 0)], ["negative", "positive"]);
        Assert.Equal(2 / 3.0, report.Accuracy, 6);
    }

    [Fact]
    public void Label_descriptions_parse_one_per_label() 
    {
        Assert.Equal(["bad", "good"], LabelPhrasing.Parse(" bad | good ", 2).Descriptions);
        Assert.Throws<ArgumentException>(() => LabelPhrasing.Parse("bad|good", 3));
        Assert.Throws<ArgumentException>(() => LabelPhrasing.Parse("bad||good", 3));
    }

    [Fact]
    public void Logistic_regression_head_separates_a_separable_case()
    {
        float[][] x = [[1f, 0.1f], [0.9f, -0.2f], [-1f, 0.2f], [-0.8f, -0.1f]];
        var head = LogisticRegressionHead.Fit(x, [1, 1, 0, 0], 2);
        Assert.Equal(new[] { 1, 1, 0, 0 }, x.Select(head.Predict));
    }
}
