using CourseKit.Data;
using CourseKit.Tests.Data;
using CourseKit.Tasks.SequenceClassification;
using TorchSharp;
using static TorchSharp.torch;

namespace CourseKit.Tests.Tasks.SequenceClassification;

[KeepTensorsAlive]
public class AgreementTargetsTests(SharedDataFixture shared) : IClassFixture<SharedDataFixture>
{
    [Fact]
    public void Targets_put_the_rest_on_neutral_for_a_polar_majority_and_split_it_for_a_neutral_one()
    {
        Assert.Equal([0f, 0.31f, 0.69f], AgreementTargets.Target(2, PhraseBankAgreement.AtLeast66), new FloatTolerance(1e-6f));
        Assert.Equal([0.2f, 0.6f, 0.2f], AgreementTargets.Target(1, PhraseBankAgreement.AtLeast50), new FloatTolerance(1e-6f));
        Assert.Equal([1f, 0f, 0f], AgreementTargets.Target(0, PhraseBankAgreement.All));
        foreach (var level in Enum.GetValues<PhraseBankAgreement>())
            for (int label = 0; label < 3; label++)
                Assert.Equal(1.0, AgreementTargets.Target(label, level).Sum(), 6);
    }

    [Fact]
    public void Only_the_training_part_is_softened_and_by_each_sentence_s_own_agreement()
    {
        var registry = shared.With("financial-phrasebank");
        var options = new FineTuneOptions { Task = FineTuneTask.PhraseBank, Agreement = PhraseBankAgreement.AtLeast50, Registry = registry };
        var hard = FineTuningData.Load(options);
        var soft = FineTuningData.Load(options with { AgreementTargets = true });
        Assert.All(soft.Validation.Concat(soft.Test), e => Assert.Null(e.Target));
        Assert.Equal(hard.Train.Select(e => (e.Id, e.Label)), soft.Train.Select(e => (e.Id, e.Label)));
        var unanimous = FinancialPhraseBank.Load(PhraseBankAgreement.All, registry).Select(e => e.Sentence).ToHashSet();
        var atLeast66 = FinancialPhraseBank.Load(PhraseBankAgreement.AtLeast66, registry).Select(e => e.Sentence).ToHashSet();
        foreach (var e in soft.Train)
        {
            float majority = e.Target![e.Label];
            if (unanimous.Contains(e.Text)) Assert.Equal(1f, majority);
            else if (!atLeast66.Contains(e.Text)) Assert.Equal(0.60f, majority, 1e-6f);
            else Assert.InRange(majority, 0.68f, 0.83f);
        }
        // Every band is present in 50Agree's training part.
        Assert.Equal(4, soft.Train.Select(e => e.Target![e.Label]).Distinct().Count());
    }

    [Fact]
    public void Soft_target_loss_is_the_usual_loss_for_one_hot_targets_and_hand_worked_for_a_soft_one()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new float[] { 0f, MathF.Log(3f), 2f, -1f }, [2, 2]);
        EncodedExample[] oneHot = [new([1], 1), new([1], 0)];
        var expected = nn.functional.cross_entropy(logits, tensor(new long[] { 1, 0 })).item<float>();
        Assert.Equal(expected, SequenceClassificationBatches.SoftTargetLoss(logits, oneHot).item<float>(), 5);
        // Row 0: p = [0.25, 0.75], q = [0.5, 0.5] → −(0.5 ln 0.25 + 0.5 ln 0.75) = 0.836988; row 1 one-hot on class 0.
        EncodedExample[] mixed = [new([1], 1) { Target = [0.5f, 0.5f] }, new([1], 0)];
        double row1 = -Math.Log(Math.Exp(2) / (Math.Exp(2) + Math.Exp(-1)));
        Assert.Equal((0.836988 + row1) / 2, SequenceClassificationBatches.SoftTargetLoss(logits, mixed).item<float>(), 5);
        EncodedExample[] wrongWidth = [new([1], 1) { Target = [0.2f, 0.3f, 0.5f] }, new([1], 0)];
        Assert.Contains("3 classes for a 2-class head", Assert.Throws<ArgumentException>(() => SequenceClassificationBatches.SoftTargetLoss(logits, wrongWidth)).Message);
    }

    sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float a, float b) => Math.Abs(a - b) <= tolerance;
        public int GetHashCode(float value) => 0;
    }
}
