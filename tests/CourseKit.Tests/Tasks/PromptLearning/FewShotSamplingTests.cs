using CourseKit.Tasks.PromptLearning;
using CourseKit.Tasks.SequenceClassification;

namespace CourseKit.Tests.Tasks.PromptLearning;

[KeepTensorsAlive]
public class FewShotSamplingTests
{
    static readonly LabeledText[] Pool = Enumerable.Range(0, 300).Select(i => new LabeledText(i, $"sentence {i}", i % 3 == 0 ? 0 : i % 3 == 1 ? 1 : 2)).ToArray();
    // The evaluation set shares ids 0-29 and the texts of pool rows 30-59 (SST-2 train holds dev sentences as phrases).
    static readonly LabeledText[] Evaluation = Enumerable.Range(0, 30).Select(i => new LabeledText(i, $"sentence {i + 30}", 0)).ToArray();

    [Theory]
    [InlineData(8)]
    [InlineData(16)]
    public void Draws_exactly_k_per_class_for_train_and_validation(int k)
    {
        var sample = FewShotSampling.Sample(Pool, 3, k, seed: 1, Evaluation);
        foreach (var part in new[] { sample.Train, sample.Validation })
            Assert.Equal(Enumerable.Repeat(k, 3), Enumerable.Range(0, 3).Select(c => part.Count(e => e.Label == c)));
        Assert.Empty(sample.Train.Select(e => e.Id).Intersect(sample.Validation.Select(e => e.Id)));
    }

    [Fact]
    public void Same_seed_same_draw_other_seed_other_draw()
    {
        var a = FewShotSampling.Sample(Pool, 3, 8, seed: 5, Evaluation);
        var b = FewShotSampling.Sample(Pool, 3, 8, seed: 5, Evaluation);
        var c = FewShotSampling.Sample(Pool, 3, 8, seed: 6, Evaluation);
        Assert.Equal(a.Train.Select(e => e.Id), b.Train.Select(e => e.Id));
        Assert.Equal(a.Validation.Select(e => e.Id), b.Validation.Select(e => e.Id));
        Assert.NotEqual(a.Train.Select(e => e.Id).Order(), c.Train.Select(e => e.Id).Order());
    }

    [Fact]
    public void Never_draws_a_text_of_the_evaluation_set()
    {
        var evaluationTexts = Evaluation.Select(e => e.Text).ToHashSet();
        for (int seed = 0; seed < 20; seed++)
        {
            var sample = FewShotSampling.Sample(Pool, 3, 30, seed, Evaluation);   // 60 of the 80 allowed per class: the forbidden ones would show up
            Assert.DoesNotContain(sample.Train.Concat(sample.Validation), e => evaluationTexts.Contains(e.Text));
        }
    }

    [Fact]
    public void Too_few_candidates_is_an_error_naming_the_class() =>
        Assert.Contains("class 0", Assert.Throws<ArgumentException>(() => FewShotSampling.Sample(Pool, 3, 60, 0, Evaluation)).Message);
}
